/**
 * A contract's return policy, judged purely: the window after the sale, the
 * allowed reasons, and the monthly cap. The caller supplies the counts,
 * read under the contract's lock, so the cap holds under concurrency.
 */
import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { type ContractReturnPolicy, ContractReturnPolicySchema } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { windowOf } from "../contracts/windows.ts";
import { failedPrecondition, invalidArgument } from "../pipeline/errors.ts";

/** The stored policy (proto3 JSON) as a message; absent fields mean no returns and no limits. */
export function policyOf(stored: JsonObject): ContractReturnPolicy {
  return fromJson(ContractReturnPolicySchema, stored, { ignoreUnknownFields: true });
}

/**
 * The reason as the contract spells it when it lists reasons (compared
 * trimmed and ignoring case), else as given; invalid_argument on `reason`
 * when the contract lists reasons and this is none of them.
 */
export function allowedReason(policy: ContractReturnPolicy, reason: string): string {
  const given = reason.trim();
  if (policy.allowedReasons.length === 0) return given;
  const match = policy.allowedReasons.find((r) => r.trim().toLowerCase() === given.toLowerCase());
  if (match === undefined) {
    throw invalidArgument([
      { field: "reason", description: `must be one of the contract's return reasons: ${policy.allowedReasons.join(", ")}` },
    ]);
  }
  return match;
}

/** failed_precondition unless `now` is inside the window of windowHours after the sale (0: no returns). */
export function checkWindow(policy: ContractReturnPolicy, soldAt: Date, now: Date): void {
  if (policy.windowHours <= 0) throw failedPrecondition("the contract accepts no returns (its return window is 0 hours)");
  const closes = new Date(soldAt.getTime() + policy.windowHours * 3_600_000);
  if (now >= closes) {
    throw failedPrecondition(`the return window closed at ${closes.toISOString()} (${policy.windowHours} hours after the sale)`);
  }
}

/** The calendar month containing `at` on the buyer's clock, which the monthly cap counts in. */
export function capMonth(at: Date, timeZone: string): { start: Date; end: Date } {
  return windowOf("monthly", at, timeZone);
}

/**
 * failed_precondition when one more return would pass the monthly cap:
 * returns (open or approved, this month, this one included) may be at most
 * capPercent of this month's sales, rounded down — in whole numbers, no floats.
 */
export function checkMonthlyCap(policy: ContractReturnPolicy, counts: { sales: number; returns: number }): void {
  const percent = policy.monthlyReturnCapPercent;
  if (percent <= 0) return;
  if ((counts.returns + 1) * 100 > percent * counts.sales) {
    const allowed = Math.floor((percent * counts.sales) / 100);
    throw failedPrecondition(
      `the contract's monthly return cap is reached: ${percent}% of ${counts.sales} sales this month allows ${allowed} returns, ${counts.returns} already requested`,
    );
  }
}
