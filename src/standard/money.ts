/**
 * Money in the API: decimal strings with at most two places ("42.50"),
 * never floats; whole cents as bigint in arithmetic, so prices, caps,
 * balances and payouts never meet a float.
 */
import type { Violations } from "./violations.ts";

const MONEY = /^-?\d{1,10}(\.\d{1,2})?$/;

/** True for a decimal string the API accepts as an amount. */
export function isMoney(s: string): boolean {
  return MONEY.test(s);
}

/** True for an amount that is zero ("0", "-0.00"). */
export function isZero(s: string): boolean {
  return /^-?0+(\.0+)?$/.test(s);
}

/** True for an amount below zero. */
export function isNegative(s: string): boolean {
  return s.startsWith("-") && !isZero(s);
}

type Sign = "any" | "positive" | "non_negative" | "non_zero";

const signWords: Record<Sign, string> = {
  any: "",
  positive: "greater than zero",
  non_negative: "zero or more",
  non_zero: "other than zero",
};

function hasSign(value: string, sign: Sign): boolean {
  if (sign === "positive") return !isZero(value) && !isNegative(value);
  if (sign === "non_negative") return !isNegative(value);
  if (sign === "non_zero") return !isZero(value);
  return true;
}

/** Adds a violation unless value is an amount of the wanted sign. */
export function checkMoney(v: Violations, field: string, value: string, sign: Sign): void {
  if (value === "") v.add(field, "is required");
  else if (!isMoney(value)) v.add(field, 'must be a decimal amount with at most 2 decimal places, e.g. "42.50"');
  else if (!hasSign(value, sign)) v.add(field, `must be ${signWords[sign]}`);
}

/**
 * The amount in cents; the string must be valid (isMoney) or a Postgres
 * numeric's text. Routing converts every contract's price and buyer's
 * balance per lead, so amounts of up to 13 digits (exact as a double) are
 * read digit by digit; longer ones take the BigInt path.
 */
export function toCents(s: string): bigint {
  const negative = s.charCodeAt(0) === 45;
  if (s.length > 16) return bigCents(s, negative);
  let whole = 0;
  let frac = 0;
  let fracDigits = -1;
  for (let i = negative ? 1 : 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) fracDigits = 0;
    else if (fracDigits < 0) whole = whole * 10 + (c - 48);
    else if (fracDigits < 2) {
      frac = frac * 10 + (c - 48);
      fracDigits++;
    }
  }
  const cents = BigInt(whole * 100 + (fracDigits === 1 ? frac * 10 : frac));
  return negative ? -cents : cents;
}

function bigCents(s: string, negative: boolean): bigint {
  const [whole, frac = ""] = (negative ? s.slice(1) : s).split(".");
  const cents = BigInt(whole || "0") * 100n + BigInt(frac.padEnd(2, "0").slice(0, 2) || "0");
  return negative ? -cents : cents;
}

/** Cents as a two-place decimal string: 4250n → "42.50". */
export function formatCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const text = `${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
  return negative ? `-${text}` : text;
}

/** The canonical form of a valid amount: "42.5" → "42.50". */
export function normaliseMoney(s: string): string {
  return formatCents(toCents(s));
}

/**
 * Adds a violation unless value is an amount of zero or more; "" passes when
 * the amount is optional. Returns the canonical amount ("" when absent or bad).
 */
export function checkAmount(v: Violations, field: string, value: string, required: boolean): string {
  if (value === "") {
    if (required) v.add(field, "is required");
    return "";
  }
  if (!isMoney(value)) {
    v.add(field, 'must be a decimal amount with at most 2 decimal places, e.g. "42.50"');
    return "";
  }
  if (toCents(value) < 0n) {
    v.add(field, "must be zero or more");
    return "";
  }
  return normaliseMoney(value);
}
