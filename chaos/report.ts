/** The results table: markdown for docs/reliability.md, JSON for machines. */
import { passed, type ScenarioResult } from "./scenario.ts";

/** The markdown table of results, then each failed check with its first offending rows. */
export function markdown(results: readonly ScenarioResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.id}. ${r.title} | ${r.load} | ${r.faults} | ${r.acknowledged} | ${r.lost} | ${r.duplicated} | ${r.redelivered}${r.redeliveryAllowed ? "*" : ""} | ${
        r.recoverySeconds === null ? "–" : `${r.recoverySeconds} s`
      } | ${passed(r) ? "pass" : "**FAIL**"} |`,
  );
  const failures = results.flatMap((r) =>
    r.checks
      .filter((c) => c.offending.length > 0)
      .map((c) => `- scenario ${r.id}: ${c.name}: ${c.offending.length} offending, e.g. ${JSON.stringify(c.offending.slice(0, 3))}`),
  );
  const figures = results.map(
    (r) =>
      `- scenario ${r.id}: ${Object.entries(r.figures)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
  );
  return [
    "| scenario | load | faults injected | acknowledged | lost | duplicated | webhooks redelivered | recovery | result |",
    "|---|---|---|---:|---:|---:|---:|---:|---|",
    ...rows,
    ...results.filter((r) => r.redeliveryAllowed && r.redelivered > 0).map((r) => `\n\\* scenario ${r.id}: ${r.redeliveryAllowed}.`),
    "",
    "Figures:",
    "",
    ...figures,
    ...(failures.length > 0 ? ["", "Failed checks:", "", ...failures] : []),
    "",
  ].join("\n");
}
