/**
 * Prints one closing line, "tests: N passed, N failed, N skipped", which CI
 * reads, after vitest's own summary. On a full run it also checks that every
 * REST operation in the OpenAPI document was exercised by some test, and
 * fails the run otherwise.
 */
import { readdirSync } from "node:fs";
import type { Reporter, TestModule, Vitest } from "vitest/node";
import { collectRecorded, resetRecorded, specOperations } from "./operations.ts";

function countTestFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && e.name.endsWith(".test.ts")) n++;
  return n;
}

/** The closing-line reporter. */
export default class SummaryReporter implements Reporter {
  private root = "";

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
    resetRecorded();
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const mod of testModules) {
      if (mod.state() === "failed" && [...mod.children.allTests()].length === 0) counts.failed++;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") counts.passed++;
        else if (state === "failed") counts.failed++;
        else counts.skipped++;
      }
    }
    const fullRun = testModules.length >= countTestFiles(`${this.root}/test`) + countTestFiles(`${this.root}/src`);
    if (fullRun) {
      const seen = collectRecorded();
      const all = specOperations().map((o) => o.id);
      const missing = all.filter((id) => !seen.has(id)).sort();
      process.stdout.write(`\nREST operations exercised: ${all.length - missing.length}/${all.length}\n`);
      if (missing.length > 0) {
        process.stdout.write(`never called by any test: ${missing.join(", ")}\n`);
        counts.failed++;
        process.exitCode = 1;
      }
    }
    // Belt and braces: a failed test must fail the process whatever else runs at exit.
    if (counts.failed > 0) process.exitCode = 1;
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
