/**
 * Pure evaluation of a lead against a contract: status, schedule (on the
 * buyer's clock), every filter, and the price. No I/O, so the lead engine
 * and :testMatch share it; the checks that need the database (caps, balance,
 * suppression, partner lists) are in eligibility.ts.
 */
import {
  type Contract,
  type ContractFilter,
  ContractFilter_CertificateRequired_Provider as Provider,
  ContractFilter_StringRule_Operator as Operator,
  ContractMatch_Check_Kind as Kind,
  type ContractPricing,
  ContractPricing_Model,
  type ContractSchedule,
  Contract_Status,
} from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { formatCents, toCents } from "../standard/money.ts";
import { milesBetween, zip5Of, zipCentroid } from "./zip-geo.ts";
import { wallClock } from "./zoned-time.ts";

/** Consent captured with a lead. */
export interface LeadConsent {
  timestamp?: Date;
  ip: string;
  userAgent: string;
  trustedFormCertUrl: string;
  jornayaLeadId: string;
}

/** A lead as matching sees it: JSON values by the vertical's field keys, its consent and its times. */
export interface MatchLead {
  values: Readonly<Record<string, unknown>>;
  consent?: LeadConsent;
  /** The moment of evaluation. */
  at: Date;
  /** When the lead was created; defaults to the consent timestamp, else `at`. */
  createdAt?: Date;
}

/** The contract's buyer as matching needs it; null when the buyer is gone. */
export type MatchBuyer = { status: string; timezone: string } | null;

/** One check's outcome: the ContractMatch.Check message's fields. */
export interface CheckOutcome {
  check: Kind;
  name: string;
  passed: boolean;
  reason: string;
  detail: string;
}

/** A passed check. */
export const passed = (check: Kind, name: string, detail = ""): CheckOutcome => ({ check, name, passed: true, reason: "", detail });
/** A failed check with its machine reason. */
export const failed = (check: Kind, name: string, reason: string, detail: string): CheckOutcome => ({
  check,
  name,
  passed: false,
  reason,
  detail,
});

const days = ["", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const pad = (n: number) => String(n).padStart(2, "0");

/** The contract's and the buyer's status checks. */
export function statusChecks(status: Contract_Status, buyer: MatchBuyer): CheckOutcome[] {
  const contract =
    status === Contract_Status.active
      ? passed(Kind.status, "contract")
      : status === Contract_Status.ended
        ? failed(Kind.status, "contract", "contract_ended", "the contract has ended")
        : failed(Kind.status, "contract", "contract_paused", "the contract is paused");
  const owner = !buyer
    ? failed(Kind.status, "buyer", "buyer_deleted", "the buyer was deleted")
    : buyer.status === "active"
      ? passed(Kind.status, "buyer")
      : failed(Kind.status, "buyer", "buyer_paused", "the buyer is paused");
  return [contract, owner];
}

/** Whether the schedule is open at `at`, read on the schedule's clock (default the buyer's). */
export function scheduleCheck(schedule: ContractSchedule | undefined, buyerZone: string, at: Date): CheckOutcome {
  const windows = schedule?.windows ?? [];
  if (windows.length === 0) return passed(Kind.schedule, "schedule", "no schedule: always open");
  const zone = schedule?.timezone || buyerZone || "UTC";
  const w = wallClock(at, zone);
  const now = w.hour * 60 + w.minute;
  const open = windows.some(
    (x) => (x.days.length === 0 || x.days.includes(w.weekday)) && minutesOf(x.start) <= now && now < minutesOf(x.end),
  );
  const detail = `${days[w.weekday]} ${pad(w.hour)}:${pad(w.minute)} in ${zone}`;
  return open ? passed(Kind.schedule, "schedule", detail) : failed(Kind.schedule, "schedule", "outside_schedule", `closed on ${detail}`);
}

const textOf = (v: unknown): string => (v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
const numberOf = (v: unknown): number =>
  typeof v === "number" ? v : typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : Number.NaN;
const isHttpUrl = (s: string) => {
  try {
    return ["http:", "https:"].includes(new URL(s).protocol);
  } catch {
    return false;
  }
};

/** Whether value is allowed by include (when not empty) and not refused by exclude. */
function inSet(value: string, set: { include: string[]; exclude: string[] }): boolean {
  return value !== "" && (set.include.length === 0 || set.include.includes(value)) && !set.exclude.includes(value);
}

function stringRulePasses(raw: unknown, op: Operator, expected: string, ci: boolean): boolean {
  const text = textOf(raw);
  if (op === Operator.is_empty) return text.trim() === "";
  if (op === Operator.is_not_empty) return text.trim() !== "";
  if (op === Operator.regex) return new RegExp(expected, ci ? "iu" : "u").test(text);
  const [a, b] = ci ? [text.toLowerCase(), expected.toLowerCase()] : [text, expected];
  if (op === Operator.equals) return a === b;
  if (op === Operator.not_equals) return a !== b;
  if (op === Operator.contains) return a.includes(b);
  if (op === Operator.starts_with) return a.startsWith(b);
  if (op === Operator.ends_with) return a.endsWith(b);
  return false;
}

/** One filter's outcome for the lead; `name` is how the check is reported, e.g. "filters[0].state". */
export function filterCheck(filter: ContractFilter, name: string, lead: MatchLead): CheckOutcome {
  const raw = lead.values[filter.field];
  const ok = (detail: string) => passed(Kind.filter, name, detail);
  const no = (reason: string, detail: string) => failed(Kind.filter, name, reason, detail);
  const k = filter.kind;
  switch (k.case) {
    case "state": {
      const state = textOf(raw).trim().toUpperCase();
      return inSet(state, k.value)
        ? ok(`state ${state}`)
        : no("geo_mismatch", state ? `state ${state} is not accepted` : `the lead has no ${filter.field}`);
    }
    case "zipList": {
      const zip = zip5Of(raw);
      return inSet(zip, k.value)
        ? ok(`ZIP ${zip}`)
        : no("zip_not_listed", zip ? `ZIP ${zip} is not accepted` : `the lead has no ZIP in ${filter.field}`);
    }
    case "zipRadius": {
      const zip = zip5Of(raw);
      const here = zipCentroid(zip);
      const centre = zipCentroid(k.value.centerZip);
      if (!here || !centre)
        return no("outside_radius", zip ? `ZIP ${zip} is not a known US ZIP code` : `the lead has no ZIP in ${filter.field}`);
      const miles = milesBetween(here, centre);
      const detail = `ZIP ${zip} is ${miles.toFixed(1)} miles from ${k.value.centerZip} (radius ${k.value.radiusMiles})`;
      return miles <= k.value.radiusMiles ? ok(detail) : no("outside_radius", detail);
    }
    case "numericRange": {
      const n = numberOf(raw);
      const { min, max } = k.value;
      const bounds = `[${min ?? "-∞"}, ${max ?? "∞"}]`;
      if (Number.isNaN(n)) return no("out_of_range", `${filter.field} is not a number`);
      const inside = (min === undefined || n >= min) && (max === undefined || n <= max);
      return inside ? ok(`${filter.field} ${n} in ${bounds}`) : no("out_of_range", `${filter.field} ${n} is outside ${bounds}`);
    }
    case "enumSet": {
      const value = textOf(raw);
      return inSet(value, k.value)
        ? ok(`${filter.field} ${value}`)
        : no("enum_mismatch", value ? `${filter.field} "${value}" is not accepted` : `the lead has no ${filter.field}`);
    }
    case "stringRule": {
      const rule = k.value;
      const op = Operator[rule.operator];
      const detail = `${filter.field} ${op}${rule.value === "" ? "" : ` "${rule.value}"`}${rule.caseInsensitive ? " (any case)" : ""}`;
      return stringRulePasses(raw, rule.operator, rule.value, rule.caseInsensitive)
        ? ok(detail)
        : no("string_rule_failed", `not ${detail}`);
    }
    case "leadAge": {
      const created = lead.createdAt ?? lead.consent?.timestamp ?? lead.at;
      const age = Math.floor((lead.at.getTime() - created.getTime()) / 1000);
      const detail = `lead is ${age} s old (at most ${k.value.maxAgeSeconds} s)`;
      return age <= k.value.maxAgeSeconds ? ok(detail) : no("lead_too_old", detail);
    }
    case "consentRequired": {
      const c = lead.consent;
      return c?.timestamp && c.ip.trim() !== ""
        ? ok("consent with timestamp and IP")
        : no("consent_missing", "the lead carries no consent with a timestamp and an IP address");
    }
    case "certificateRequired": {
      const trustedForm = isHttpUrl(lead.consent?.trustedFormCertUrl ?? "");
      const jornaya = (lead.consent?.jornayaLeadId ?? "").trim() !== "";
      const want = k.value.provider;
      const has = want === Provider.trustedform ? trustedForm : want === Provider.jornaya ? jornaya : trustedForm || jornaya;
      const which = want === Provider.either ? "TrustedForm or Jornaya" : want === Provider.jornaya ? "Jornaya" : "TrustedForm";
      return has ? ok(`${which} certificate present`) : no("certificate_missing", `the lead carries no ${which} certificate`);
    }
    default:
      return ok("no condition");
  }
}

/** The price a lead sells at: fixed, or the first matching rule's (else the default); "" for ping, where the buyer bids. */
export function priceOf(pricing: ContractPricing | undefined, lead: MatchLead): string {
  if (!pricing || pricing.model === ContractPricing_Model.fixed) return pricing?.price || "0.00";
  if (pricing.model === ContractPricing_Model.ping) return "";
  const rule = pricing.rules.find((r) => r.conditions.every((c) => filterCheck(c, "", lead).passed));
  return rule ? rule.price : pricing.defaultPrice;
}

/** The least the buyer may pay: the price, or for ping the floor (0.00 without one). */
export function chargeFloor(pricing: ContractPricing | undefined, price: string): string {
  return price !== "" ? price : pricing?.floor || "0.00";
}

/** A ping bid after the floor and ceiling: undefined (refused) below the floor, clamped down to the ceiling. */
export function clampBid(pricing: ContractPricing, bid: string): string | undefined {
  const cents = toCents(bid);
  if (pricing.floor !== "" && cents < toCents(pricing.floor)) return undefined;
  if (pricing.ceiling !== "" && cents > toCents(pricing.ceiling)) return formatCents(toCents(pricing.ceiling));
  return formatCents(cents);
}

/**
 * The first pure check the lead fails, in report order, or null when it
 * passes them all — matchContract without building the checks that follow
 * (the lead engine only needs the reason; :testMatch reports every check).
 */
export function firstFailedMatch(contract: Contract, buyer: MatchBuyer, lead: MatchLead): CheckOutcome | null {
  // Status and schedule are reported only when they fail.
  if (contract.status !== Contract_Status.active || buyer?.status !== "active") {
    const status = statusChecks(contract.status, buyer).find((c) => !c.passed);
    if (status) return status;
  }
  if ((contract.schedule?.windows.length ?? 0) > 0) {
    const schedule = scheduleCheck(contract.schedule, buyer?.timezone ?? "UTC", lead.at);
    if (!schedule.passed) return schedule;
  }
  for (const [i, f] of contract.filters.entries()) {
    const check = filterCheck(f, `filters[${i}].${f.kind.case ?? "unknown"}`, lead);
    if (!check.passed) return check;
  }
  return null;
}

/** The pure checks, in report order (status, schedule, each filter), and the price. */
export function matchContract(contract: Contract, buyer: MatchBuyer, lead: MatchLead): { checks: CheckOutcome[]; price: string } {
  const checks = [
    ...statusChecks(contract.status, buyer),
    scheduleCheck(contract.schedule, buyer?.timezone ?? "UTC", lead.at),
    ...contract.filters.map((f, i) => filterCheck(f, `filters[${i}].${f.kind.case ?? "unknown"}`, lead)),
  ];
  return { checks, price: priceOf(contract.pricing, lead) };
}
