/** Money in the API: decimal strings with at most two places ("42.50"), never floats. */
import type { Violations } from "../standard/violations.ts";

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
