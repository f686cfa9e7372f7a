/**
 * The sweep: every operation of the served OpenAPI document gets malformed
 * JSON, wrong JSON types in every body field, NUL in every string, bad
 * percent-encoding and non-UUID or missing ids in its path, unknown and
 * malformed query parameters, an oversized body and URL, no key, a garbage
 * key, and tenant A's admin key aimed at tenant B's resources. No answer may
 * be a 5xx or a bare body, every rejection is a 4xx in the error envelope
 * with an X-Request-Id, and tenant A never sees tenant B. The cases come
 * from the document, so a new operation is swept without being listed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer, type TestTenant } from "./support/server.ts";
import { type SweepCase, casesFor } from "./support/sweep-cases.ts";
import { histogram, problemsOf } from "./support/sweep-check.ts";
import { http1Sender, http2Sender, runCases } from "./support/sweep-client.ts";
import { type Spec, type SweepOperation, sweepOperations } from "./support/sweep-spec.ts";
import { type Victim, victimTenant } from "./support/sweep-tenants.ts";

let server: TestServer;
let ops: SweepOperation[];
let cases: SweepCase[];
let tenantA: TestTenant;
let victim: Victim;

beforeAll(async () => {
  // Rate limits have their own tests; here they would answer 429 before the rule under test.
  server = await startServer({ rateLimitsEnabled: false });
  const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as Spec;
  ops = sweepOperations(spec);
  tenantA = await server.newTenant();
  victim = await victimTenant(server, ops, tenantA.adminKey);
  const ctx = { spec, superadminKey: server.superadminKey, adminKey: tenantA.adminKey, victimIds: victim.ids };
  cases = ops.flatMap((op) => casesFor(op, ctx));
}, 120_000);
afterAll(async () => {
  await victim?.stub.close();
  await server?.close();
});

const sentByTenantA = (c: SweepCase) => !(c.headers.authorization ?? "").includes(server.superadminKey);

describe("the sweep of every operation in the served OpenAPI", () => {
  it("no answer over HTTP/1.1 is a 5xx or a bare body; rejections are enveloped 4xx; tenant B stays invisible to tenant A", async () => {
    expect(ops.length).toBeGreaterThan(100);
    const started = performance.now();
    const results = await runCases(http1Sender(server.url, 8), cases, 8);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const problems = results.flatMap((r) => problemsOf(r, victim, sentByTenantA(r.c)));
    const kinds = histogram(cases, (c) => c.kind);
    console.log(
      `sweep: ${ops.length} operations × ${Object.keys(kinds).length} kinds of case = ${results.length} requests in ${seconds} s\n` +
        `  cases: ${JSON.stringify(kinds)}\n  statuses: ${JSON.stringify(histogram(results, (r) => r.status))}\n` +
        `  non-2xx enveloped: ${results.filter((r) => r.status >= 300).length}, problems: ${problems.length}`,
    );
    expect(problems.slice(0, 40)).toEqual([]);
    expect(results.filter((r) => r.status >= 500 || r.status === 0)).toEqual([]);
  }, 180_000);

  it("a sample over HTTP/2 (h2c on the same port) gets the same answers", async () => {
    // One case of each kind for every tenth operation, and every oversized one.
    const sample = cases.filter((c, i) => ops.indexOf(c.op) % 10 === 0 || c.kind.startsWith("oversized") || i === 0);
    const results = await runCases(http2Sender(server.url), sample, 8);
    const problems = results.flatMap((r) => problemsOf(r, victim, sentByTenantA(r.c)));
    expect(problems).toEqual([]);
    expect(results.length).toBeGreaterThan(100);
  }, 60_000);
});
