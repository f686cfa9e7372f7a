/**
 * A contract's own rules, the ones that need no database: ranges, caps,
 * schedule hours, pricing and return policy. Normalises in place (defaults,
 * canonical amounts) so what is stored is what the API returns.
 */
import { create } from "@bufbuild/protobuf";
import {
  type Contract,
  type ContractCap,
  ContractCap_Metric,
  ContractCap_Period,
  type ContractPricing,
  ContractPricing_Model,
  ContractPricingSchema,
  type ContractSchedule,
  ContractSchedule_Window_Day,
} from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { isUuid, type Violations } from "../standard/violations.ts";
import type { DestinationGuard } from "../delivery/destination-guard.ts";
import { checkAmount, toCents } from "../standard/money.ts";

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const limits = { filters: 100, caps: 20, windows: 50, rules: 50, reasons: 50, lists: 50 };

/** Priority and weight: 0 means the default, 100. */
function rank(v: Violations, field: string, value: number): number {
  if (value === 0) return 100;
  if (value < 1 || value > 1000) v.add(field, "must be between 1 and 1000");
  return value;
}

function checkCaps(v: Violations, caps: ContractCap[], at: string): void {
  if (caps.length > limits.caps) v.add(`${at}caps`, `at most ${limits.caps} caps`);
  const seen = new Set<string>();
  caps.forEach((cap, i) => {
    const path = `${at}caps[${i}]`;
    if (cap.metric === ContractCap_Metric.metric_unspecified) cap.metric = ContractCap_Metric.leads;
    if (!(cap.metric in ContractCap_Metric)) v.add(`${path}.metric`, "must be leads or spend");
    if (cap.period === ContractCap_Period.period_unspecified) v.add(`${path}.period`, "is required: hourly, daily, weekly or monthly");
    else if (!(cap.period in ContractCap_Period)) v.add(`${path}.period`, "must be hourly, daily, weekly or monthly");
    const key = `${ContractCap_Period[cap.period]} ${ContractCap_Metric[cap.metric]}`;
    if (seen.has(key)) v.add(`${path}.period`, `another cap already limits ${key}`);
    seen.add(key);
    const limit = checkAmount(v, `${path}.limit`, cap.limit, true);
    if (limit === "") return;
    if (cap.metric === ContractCap_Metric.leads) {
      if (toCents(limit) % 100n !== 0n) v.add(`${path}.limit`, "must be a whole number of leads");
      else cap.limit = (toCents(limit) / 100n).toString();
    } else cap.limit = limit;
  });
}

function checkSchedule(v: Violations, s: ContractSchedule, at: string): void {
  v.timezone(`${at}schedule.timezone`, s.timezone);
  if (s.windows.length > limits.windows) v.add(`${at}schedule.windows`, `at most ${limits.windows} windows`);
  s.windows.forEach((w, i) => {
    const path = `${at}schedule.windows[${i}]`;
    w.days.forEach((d, j) => {
      if (d === ContractSchedule_Window_Day.day_unspecified || !(d in ContractSchedule_Window_Day))
        v.add(`${path}.days[${j}]`, "must be mon, tue, wed, thu, fri, sat or sun");
    });
    const startOk = HHMM.test(w.start);
    const endOk = HHMM.test(w.end) || w.end === "24:00";
    if (!startOk) v.add(`${path}.start`, 'must be a time of day "HH:MM" from 00:00 to 23:59');
    if (!endOk) v.add(`${path}.end`, 'must be a time of day "HH:MM" from 00:01 to 24:00');
    if (startOk && endOk && w.start >= w.end) v.add(`${path}.end`, "must be after start; for a span across midnight use two windows");
  });
}

function checkPricing(guard: DestinationGuard, v: Violations, p: ContractPricing, at: string): void {
  const path = `${at}pricing`;
  const model = p.model;
  // Settings another model uses are cleared, so switching models needs no clean-up by the client.
  if (model !== ContractPricing_Model.fixed) p.price = "";
  if (model !== ContractPricing_Model.rule) {
    p.rules = [];
    p.defaultPrice = "";
  }
  if (model !== ContractPricing_Model.ping) {
    p.floor = "";
    p.ceiling = "";
    p.pingUrl = "";
  }
  if (model === ContractPricing_Model.fixed) p.price = checkAmount(v, `${path}.price`, p.price, true);
  else if (model === ContractPricing_Model.rule) {
    if (p.rules.length === 0) v.add(`${path}.rules`, "model rule needs at least one rule");
    if (p.rules.length > limits.rules) v.add(`${path}.rules`, `at most ${limits.rules} rules`);
    p.rules.forEach((r, i) => {
      r.price = checkAmount(v, `${path}.rules[${i}].price`, r.price, true);
    });
    p.defaultPrice = checkAmount(v, `${path}.defaultPrice`, p.defaultPrice, true);
  } else if (model === ContractPricing_Model.ping) {
    const refused = guard.refusedUrl(p.pingUrl);
    if (!isHttpUrl(p.pingUrl)) v.add(`${path}.pingUrl`, p.pingUrl === "" ? "is required for model ping" : "must be an http or https URL");
    else if (refused) v.add(`${path}.pingUrl`, refused);
    p.floor = checkAmount(v, `${path}.floor`, p.floor, false);
    p.ceiling = checkAmount(v, `${path}.ceiling`, p.ceiling, false);
    if (p.floor !== "" && p.ceiling !== "" && toCents(p.floor) > toCents(p.ceiling))
      v.add(`${path}.floor`, "must not be greater than ceiling");
  } else v.add(`${path}.model`, "is required: fixed, rule or ping");
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && s.length <= 2000;
  } catch {
    return false;
  }
}

/** Adds the problems of c (paths prefixed with at, e.g. "requests[0].contract.") and normalises it. */
export function checkContract(guard: DestinationGuard, v: Violations, c: Contract, at = ""): void {
  v.required(`${at}name`, c.name);
  c.name = c.name.trim();
  v.uuid(`${at}buyerId`, c.buyerId);
  v.uuid(`${at}verticalId`, c.verticalId);
  v.uuid(`${at}offerId`, c.offerId, false);
  v.uuid(`${at}destinationId`, c.destinationId, false);
  c.priority = rank(v, `${at}priority`, c.priority);
  c.weight = rank(v, `${at}weight`, c.weight);
  v.tags(`${at}tags`, c.tags);
  if (c.concurrencyCap < 0 || c.concurrencyCap > 10_000) v.add(`${at}concurrencyCap`, "must be between 0 (no limit) and 10000");
  if (c.filters.length > limits.filters) v.add(`${at}filters`, `at most ${limits.filters} filters`);
  checkCaps(v, c.caps, at);
  if (c.schedule) checkSchedule(v, c.schedule, at);
  c.pricing ??= create(ContractPricingSchema, { model: ContractPricing_Model.fixed, price: "0.00" });
  checkPricing(guard, v, c.pricing, at);
  const rp = c.returnPolicy;
  if (rp) {
    if (rp.windowHours < 0 || rp.windowHours > 2160) v.add(`${at}returnPolicy.windowHours`, "must be between 0 and 2160 (90 days)");
    if (rp.allowedReasons.length > limits.reasons) v.add(`${at}returnPolicy.allowedReasons`, `at most ${limits.reasons} reasons`);
    rp.allowedReasons = rp.allowedReasons.map((r) => r.trim());
    rp.allowedReasons.forEach((r, i) => {
      v.required(`${at}returnPolicy.allowedReasons[${i}]`, r);
    });
    if (rp.monthlyReturnCapPercent < 0 || rp.monthlyReturnCapPercent > 100)
      v.add(`${at}returnPolicy.monthlyReturnCapPercent`, "must be between 0 and 100");
  }
  if (c.suppressionListIds.length > limits.lists) v.add(`${at}suppressionListIds`, `at most ${limits.lists} lists`);
  c.suppressionListIds = c.suppressionListIds.map((id) => id.toLowerCase());
  c.suppressionListIds.forEach((id, i) => {
    if (!isUuid(id)) v.add(`${at}suppressionListIds[${i}]`, "must be a UUID");
    else if (c.suppressionListIds.indexOf(id) < i) v.add(`${at}suppressionListIds[${i}]`, "is listed twice");
  });
}
