/**
 * The shape src/ keeps: no module-level mutable state. Settings, pools and
 * caches live on the object src/app.ts builds for each server (src/deps.ts)
 * and are passed in, so two servers in one process never share them.
 * Module-level constants, compiled regexes and immutable lookup tables are
 * fine; so are the memo tables listed below, each a cache of a pure function
 * whose answer is the same for every server.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../src");

/** Every TypeScript file of src/ but the tests beside the code. */
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Lines of src/ matching the pattern at the top level of a module, as "file:line: text". */
function topLevel(pattern: RegExp): string[] {
  return sources().flatMap((path) =>
    readFileSync(path, "utf8")
      .split("\n")
      .flatMap((line, i) => (pattern.test(line) ? [`${relative(SRC, path)}:${i + 1}: ${line.trim()}`] : [])),
  );
}

// Empty collections made at module level to be filled later, allowed because each memoizes a pure function
// of something immutable (a descriptor, a time zone, a transaction) and answers the same for every server.
const memoTables = new Set([
  "rest/request.ts: catchAlls", // a message descriptor's catch-all field
  "pipeline/roles.ts: cache", // the roles a method's proto options name
  "pipeline/idempotency.ts: mutations", // whether a method's proto options make it a mutation
  "pipeline/idempotency.ts: replayable", // the methods whose implementation is wrapped to answer replays
  "pipeline/rate-limit.ts: buckets", // the rate-limit bucket a method's options name
  "contracts/zoned-time.ts: formatters", // an Intl formatter per time zone
  "contracts/windows.ts: windows", // a cap period's window at a quarter hour in a time zone
  "contracts/eligibility-snapshot.ts: snapshots", // one transaction's reads, gone with it
  "contracts/eligibility-snapshot.ts: rules", // one transaction's reads, gone with it
]);

describe("src/ keeps no module-level mutable state", () => {
  it("has no module-level let or var (settings and caches are passed in from src/app.ts)", () => {
    expect(topLevel(/^(export )?(let|var) /)).toEqual([]);
  });

  it("makes no empty module-level collection to fill later, except the listed memo tables of pure functions", () => {
    const found = topLevel(/^(export )?const \w+ = new (Map|Set|WeakMap|WeakSet)(<.*>)?\(\);/).map((hit) => {
      const [file, , text] = hit.split(":");
      return `${file}: ${/const (\w+)/.exec(text)?.[1]}`;
    });
    expect(found.filter((f) => !memoTables.has(f))).toEqual([]);
  });

  it("finds what it looks for (the check is not vacuous)", () => {
    expect(sources().length).toBeGreaterThan(100);
    expect(topLevel(/^const \w+ = new (Map|Set|WeakMap|WeakSet)(<.*>)?\(\);/).length).toBeGreaterThan(0);
  });
});
