/**
 * Freshness: a sale appears in the summary report within 2 s (p99), with
 * the reporting consumer inside `serve` or in a `lead-router worker` process
 * beside an API node started WORKERS=off. Each shape sells leads one by one
 * and polls the summary every 20 ms from the sale's answer until it counts
 * the sale; p50 and p99 are printed. On a database and NATS server of the
 * test's own, so no other file's consumer folds these events.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildServer, startChildServer } from "./support/child-server.ts";
import { exampleLead, fundedBuyer, type LeadWorld, leadWorld, offerContract } from "./support/lead-fixture.ts";
import { startNats, type TestNats } from "./support/nats-server.ts";
import { createOwnDatabase, type OwnDatabase } from "./support/own-database.ts";
import { startServer, type TestServer } from "./support/server.ts";

const SALES = 40;
const STREAM = { NATS_STREAM: "LR_FRESHNESS_TEST", NATS_SUBJECT_PREFIX: "lrfresh" };
let db: OwnDatabase;
let nats: TestNats;

beforeAll(async () => {
  [db, nats] = await Promise.all([createOwnDatabase("fresh"), startNats()]);
}, 60_000);
afterAll(async () => {
  await nats?.close();
  await db?.drop();
});

type Caller = Pick<TestServer, "call">;

/** A tenant that sells every lead at 20.00. */
async function sellingWorld(setup: TestServer): Promise<LeadWorld> {
  const w = await leadWorld(setup);
  const buyer = await fundedBuyer(setup, w, "5000.00");
  await offerContract(setup, w, buyer.id, { pricing: { model: "fixed", price: "20.00" } });
  return w;
}

/** The value at quantile q of sorted numbers (nearest rank). */
const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];

/** Sells SALES leads through `api` one by one; for each, the ms from the sale's answer until the summary counts it. */
async function saleToSummary(api: Caller, w: LeadWorld): Promise<number[]> {
  const summary = async () => {
    const res = await api.call("GET", "/api/v1/reports/summary", { key: w.adminKey });
    expect(res.status, res.text).toBe(200);
    return res.body.data.sales as number;
  };
  const lags: number[] = [];
  for (let i = 0; i < SALES; i++) {
    const res = await api.call("POST", "/api/v1/leads/submit", {
      key: w.partnerKey,
      body: { campaignId: w.campaignId, postingKey: w.postingKey, ...exampleLead({ email: `fresh-${i}-${Date.now()}@example.com` }) },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.status).toBe("sold");
    const sold = performance.now();
    for (;;) {
      if ((await summary()) === i + 1) break;
      if (performance.now() - sold > 10_000) throw new Error(`sale ${i + 1} not in the summary after 10 s`);
      await sleep(20);
    }
    lags.push(performance.now() - sold);
  }
  return lags.sort((a, b) => a - b);
}

function expectFresh(shape: string, lags: number[]): void {
  const [p50, p99] = [quantile(lags, 0.5), quantile(lags, 0.99)];
  console.log(
    `reports freshness (${shape}): ${lags.length} sales, p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${lags.at(-1)?.toFixed(0)} ms`,
  );
  expect(p99, `p99 sale → summary with ${shape}`).toBeLessThan(2_000);
}

describe("a sale appears in the summary within 2 s (p99)", () => {
  it("with the reporting consumer inside serve", async () => {
    const server = await startServer({
      databaseUrl: db.url,
      natsUrl: nats.url,
      natsStream: STREAM.NATS_STREAM,
      natsSubjectPrefix: STREAM.NATS_SUBJECT_PREFIX,
    });
    try {
      const w = await sellingWorld(server);
      expectFresh("consumer in serve", await saleToSummary(server, w));
    } finally {
      await server.close();
    }
  }, 60_000);

  it("with the reporting consumer in lead-router worker, beside an API node started WORKERS=off", async () => {
    // Sets up the tenant in this process (no workers); the API node and the worker are children.
    const setup = await startServer({ databaseUrl: db.url, workersInProcess: false });
    let api: ChildServer | undefined;
    let worker: ChildServer | undefined;
    try {
      const env = { DATABASE_URL: db.url, NATS_URL: nats.url, ...STREAM };
      [api, worker] = await Promise.all([startChildServer({ ...env, WORKERS: "off" }), startChildServer(env, "worker")]);
      const w = await sellingWorld(setup);
      expectFresh("consumer in lead-router worker", await saleToSummary(api, w));
      const metrics = await fetch(`${worker.url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/^lead_router_report_projection_lag_seconds_count [1-9]/m);
    } finally {
      await api?.close();
      await worker?.close();
      await setup.close();
    }
  }, 90_000);
});
