/** Reading a buyer's response to a delivery: accepted or rejected, at what price, and why. */
import type { JsonValue } from "@bufbuild/protobuf";
import { valueAt } from "./field-templates.ts";
import type { DeliveryOutcome, DeliveryTarget } from "./types.ts";

/** What a buyer's response meant. */
export interface BuyerResponse {
  outcome: DeliveryOutcome;
  /** Decimal string, e.g. "12.50"; "" when the answer names none. */
  price: string;
  reason: string;
}

type Rules = Pick<DeliveryTarget, "acceptPath" | "acceptValues" | "pricePath" | "reasonPath" | "acceptRegex">;

/** A price read from an answer as a two-place decimal string; "" when it is not a number. */
export function priceOf(v: JsonValue | undefined): string {
  const s = typeof v === "number" ? String(v) : typeof v === "string" ? v.replace(/[\s$,]/g, "") : "";
  if (!/^-?\d{1,10}(\.\d+)?$/.test(s)) return "";
  return Number(s).toFixed(2);
}

function textOf(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

function fromJson(rules: Rules, doc: JsonValue, ok: boolean): BuyerResponse {
  const price = rules.pricePath ? priceOf(valueAt(doc, rules.pricePath)) : "";
  const reason = rules.reasonPath ? textOf(valueAt(doc, rules.reasonPath)) : "";
  if (!rules.acceptPath) return { outcome: ok ? "accepted" : "rejected", price, reason };
  const flag = valueAt(doc, rules.acceptPath);
  const accepted =
    rules.acceptValues.length === 0
      ? flag === true
      : flag !== undefined && rules.acceptValues.some((a) => a.toLowerCase() === textOf(flag).toLowerCase());
  if (ok && accepted) return { outcome: "accepted", price, reason };
  return {
    outcome: "rejected",
    price,
    reason: reason || `${rules.acceptPath} was ${flag === undefined ? "missing" : JSON.stringify(flag)}`,
  };
}

function fromText(rules: Rules, text: string, ok: boolean, status: number): BuyerResponse {
  if (!rules.acceptRegex) return { outcome: ok ? "accepted" : "rejected", price: "", reason: ok ? "" : `HTTP ${status}` };
  const m = new RegExp(rules.acceptRegex, "u").exec(text);
  const price = priceOf(m?.groups?.price);
  const reason = m?.groups?.reason ?? "";
  if (ok && m) return { outcome: "accepted", price, reason };
  return { outcome: "rejected", price: "", reason: reason || "the answer did not match acceptRegex" };
}

/**
 * The meaning of an answer. Redirects and 5xx are errors (nothing usable);
 * a 4xx is never an acceptance; with JSON rules, a non-JSON body is an
 * error unless acceptRegex is there to read it.
 */
export function parseBuyerResponse(rules: Rules, status: number, contentType: string, text: string): BuyerResponse {
  if (status < 200 || status >= 500 || (status >= 300 && status < 400)) {
    return { outcome: "error", price: "", reason: `HTTP ${status}` };
  }
  const ok = status < 300;
  const looksJson = /json/i.test(contentType) || /^\s*[[{]/.test(text);
  const doc = looksJson ? parseJson(text) : undefined;
  if (doc !== undefined && (rules.acceptPath || !rules.acceptRegex)) {
    const r = fromJson(rules, doc, ok);
    return !ok && !r.reason ? { ...r, reason: `HTTP ${status}` } : r;
  }
  if (rules.acceptPath && !rules.acceptRegex) {
    return { outcome: "error", price: "", reason: "the answer is not JSON, so acceptPath cannot be read" };
  }
  return fromText(rules, text, ok, status);
}
