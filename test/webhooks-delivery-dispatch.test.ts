/**
 * The dispatcher across processes: two servers on one database share the
 * deliveries (each sent once, one successful attempt each), the per-endpoint
 * cap bounds what one endpoint has in flight, an endpoint's throttle holds
 * across both, and the attempts are Prometheus metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf, startServer, type TestServer } from "./support/server.ts";
import { type Receiver, startReceiver, until } from "./support/webhook-receiver.ts";

let servers: TestServer[];
const receivers: Receiver[] = [];

beforeAll(async () => {
  const overrides = { natsUrl: undefined, webhookRetrySchedule: [0, 300, 300, 300, 500, 500, 500, 500] };
  servers = [await startServer(overrides), await startServer(overrides)];
});
afterAll(async () => {
  await Promise.all((servers ?? []).map((s) => s.close()));
  await Promise.all(receivers.map((r) => r.close()));
});

/** A receiver that answers after `delayMs` and counts the requests it holds at once. */
async function countingReceiver(delayMs: number) {
  let open = 0;
  let most = 0;
  const r = await startReceiver(() => {
    open++;
    most = Math.max(most, open);
    setTimeout(() => open--, delayMs).unref();
    return { status: 200, delayMs };
  });
  receivers.push(r);
  return { r, most: () => most };
}

describe("webhook dispatcher", () => {
  it("sends every delivery once across two dispatchers, with at most 16 in flight per healthy endpoint per process", async () => {
    const [a] = servers;
    const { adminKey } = await a.newTenant();
    const { r, most } = await countingReceiver(300);
    const created = await dataOf(
      a.call("POST", "/api/v1/webhooks", { key: adminKey, body: { url: r.url, eventTypes: ["buyer.created"] } }),
    );
    const n = 24;
    for (let i = 0; i < n; i++) await dataOf(a.call("POST", "/api/v1/buyers", { key: adminKey, body: { name: `B${i}` } }));
    await until(() => r.received.length >= n, 15_000, "every delivery");
    await new Promise((res) => setTimeout(res, 1_000));
    const ids = r.received.map((x) => String(x.headers["webhook-id"]));
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
    expect(most()).toBeLessThanOrEqual(32);
    const list = await dataOf(a.call("GET", `/api/v1/webhooks/${created.id}/deliveries?pageSize=100`, { key: adminKey }));
    expect(list).toHaveLength(n);
    expect(list.every((d: any) => d.status === "succeeded" && d.attemptCount === 1)).toBe(true);
    // Both processes' dispatchers took part.
    for (const s of servers) {
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      const sent = Number(/^lead_router_webhook_attempts_succeeded_total (\d+)/m.exec(metrics)?.[1] ?? 0);
      expect(sent).toBeGreaterThan(0);
      expect(metrics).toMatch(/^lead_router_webhook_attempt_seconds_count \d+/m);
      expect(metrics).toMatch(/^lead_router_webhook_due_backlog \d+/m);
    }
  }, 30_000);

  it("keeps an endpoint's throttle across both processes", async () => {
    const [a] = servers;
    const { adminKey } = await a.newTenant();
    const r = await startReceiver();
    receivers.push(r);
    await dataOf(
      a.call("POST", "/api/v1/webhooks", { key: adminKey, body: { url: r.url, eventTypes: ["buyer.created"], throttlePerSecond: 2 } }),
    );
    const n = 6;
    for (let i = 0; i < n; i++) await dataOf(a.call("POST", "/api/v1/buyers", { key: adminKey, body: { name: `B${i}` } }));
    await until(() => r.received.length >= n, 15_000, "every delivery");
    const at = r.received.map((x) => x.at).sort((x, y) => x - y);
    // 2 a second: the 6th at least 2 s after the 1st; no second holds more than the budget (+1 for the processes' race).
    expect(at[n - 1] - at[0]).toBeGreaterThanOrEqual(1_900);
    for (const t of at) expect(at.filter((u) => u >= t && u < t + 1_000).length).toBeLessThanOrEqual(3);
  }, 30_000);
});
