/**
 * The events benchmark, on the routing scenario's tenant (routing-world.ts)
 * with one webhook subscription to lead.sold on a local receiver:
 *
 * - submit throughput with the workers off (a server started WORKERS=off)
 *   and on (the relay, the webhook fan-out and delivery in the server's
 *   process), one closed-loop run each, and their ratio;
 * - event lag at a steady rate (open loop: a lead every 1/rate s whether or
 *   not the last one was answered): from the sale's commit (the lead.sold
 *   event's timestamp) to the webhook's arrival at the receiver;
 * - webhook catch-up: a backlog queued at once to the endpoint, drained by
 *   the dispatcher (webhook-catchup.ts), in deliveries a second.
 *
 * The servers run one at a time: every server with workers relays every
 * tenant's outbox, so one left running would work during the other's
 * measurement. The off run goes first; the on server then relays its
 * backlog before it is measured, and the subscription is made after it, so
 * the off run's sales are never delivered.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Row } from "./core.ts";
import { cpuPerLead, sampleCpu } from "./cpu.ts";
import { withOwner } from "./floor.ts";
import { percentiles, type Result } from "./load.ts";
import { startStub, submitLeads } from "./routing.ts";
import { randomLead, type RoutingWorld, routingWorld } from "./routing-world.ts";
import { type BenchServer, post, startBenchServer } from "./server.ts";
import { catchUp } from "./webhook-catchup.ts";

/** A lead.sold webhook as received: the event's commit time and the arrival, in ms since the epoch. */
interface Arrival {
  committedMs: number;
  receivedMs: number;
}

/** A webhook receiver that answers 204 at once and records each lead.sold event's arrival once (by webhook-id). */
async function startReceiver(): Promise<{ url: string; arrivals: Map<string, Arrival>; close: () => Promise<void> }> {
  const arrivals = new Map<string, Arrival>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const receivedMs = performance.timeOrigin + performance.now();
      res.writeHead(204).end();
      const id = String(req.headers["webhook-id"] ?? "");
      const event = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { type: string; timestamp: string };
      if (event.type === "lead.sold" && !arrivals.has(id)) arrivals.set(id, { committedMs: Date.parse(event.timestamp), receivedMs });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    arrivals,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Outbox events not yet published (every tenant's: the relay takes them all) and the tenant's webhook deliveries not yet settled. */
async function pending(tenantId: string): Promise<{ outbox: number; deliveries: number }> {
  return withOwner(async (db) => {
    const n = async (q: string, args: unknown[] = []) => Number((await db.query(q, args)).rows[0].n);
    return {
      outbox: await n("SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL"),
      deliveries: await n("SELECT count(*) AS n FROM webhook_deliveries WHERE tenant_id = $1 AND status = 'pending'", [tenantId]),
    };
  });
}

/** Polls until nothing is pending (or `ms` pass); returns what is still pending. */
async function drained(tenantId: string, ms: number): Promise<{ outbox: number; deliveries: number }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = await pending(tenantId);
    if ((p.outbox === 0 && p.deliveries === 0) || Date.now() > deadline) return p;
    await sleep(200);
  }
}

/** Posts a lead every 1000/rate ms for `seconds`, not waiting for answers; returns the submissions' own latencies and what the errors were. */
async function openLoop(
  s: BenchServer,
  w: RoutingWorld,
  rate: number,
  seconds: number,
): Promise<Result & { errorKinds: Map<string, number> }> {
  const latencies: number[] = [];
  let errors = 0;
  const errorKinds = new Map<string, number>();
  const fail = (kind: string) => {
    errors++;
    errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  };
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sent = performance.now();
    inFlight.push(
      fetch(`${s.url}/api/v1/leads/submit`, {
        method: "POST",
        headers: { authorization: `Bearer ${w.partnerKey}`, "content-type": "application/json" },
        body: JSON.stringify(randomLead(w)),
      }).then(
        async (r) => {
          await r.arrayBuffer();
          if (r.ok) latencies.push(performance.now() - sent);
          else fail(`HTTP ${r.status}`);
        },
        (e: Error) => fail(String((e.cause as Error | undefined)?.message ?? e.message)),
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  return { ...percentiles(latencies), rps: latencies.length / elapsed, errors, errorKinds };
}

/**
 * Where each lead.sold event of the lag run spent its time, from the rows
 * it left: commit (the event's timestamp) to the relay's claim (published_at,
 * the relay transaction's start), to the fan-out (the delivery's created_at),
 * to the dispatcher's claim (the attempt's created_at), to the receiver.
 */
async function stages(tenantId: string, fromMs: number, arrivals: Map<string, Arrival>): Promise<string> {
  const rows = await withOwner(
    async (db) =>
      (
        await db.query(
          `SELECT o.id, extract(epoch FROM o.created_at) * 1000 AS committed, extract(epoch FROM o.published_at) * 1000 AS relayed,
                  extract(epoch FROM d.created_at) * 1000 AS fanned, extract(epoch FROM a.created_at) * 1000 AS claimed
           FROM outbox_events o
           JOIN webhook_deliveries d ON d.event_id = o.id
           JOIN webhook_attempts a ON a.delivery_id = d.id AND a.outcome = 'succeeded'
           WHERE o.tenant_id = $1 AND o.type = 'lead.sold' AND o.created_at >= to_timestamp($2 / 1000.0)`,
          [tenantId, fromMs],
        )
      ).rows as { id: string; committed: string; relayed: string; fanned: string; claimed: string }[],
  );
  const stage = (name: string, ms: (r: (typeof rows)[number]) => number) => {
    const { p50, p99 } = percentiles(rows.map(ms).filter((x) => Number.isFinite(x)));
    return `${name} ${p50} / ${p99}`;
  };
  const received = (r: (typeof rows)[number]) => (arrivals.get(r.id)?.receivedMs ?? Number.NaN) - Number(r.claimed);
  return (
    `where the lag goes (p50 / p99 ms over ${rows.length} events): ` +
    [
      stage("commit to relay claim", (r) => Number(r.relayed) - Number(r.committed)),
      stage("relay claim to fan-out", (r) => Number(r.fanned) - Number(r.relayed)),
      stage("fan-out to dispatcher claim", (r) => Number(r.claimed) - Number(r.fanned)),
      stage("dispatcher claim to received", received),
    ].join(", ")
  );
}

/** A closed-loop run with the CPU it cost, a lead. */
async function measuredSubmit(
  s: BenchServer,
  w: RoutingWorld,
  concurrency: number,
  seconds: number,
): Promise<{ result: Result; cpu: string }> {
  const before = sampleCpu(s.child.pid ?? 0);
  const result = await submitLeads(s, w, concurrency, seconds);
  const after = sampleCpu(s.child.pid ?? 0);
  return { result, cpu: cpuPerLead(before, after, Math.round(result.rps * seconds)) };
}

/** Deliveries the catch-up measurement queues at once. */
const CATCH_UP = 3000;

/** Runs the events benchmark; starts and stops its own servers. */
export async function benchEvents(opts: { seconds: number; rate: number; concurrency: number }): Promise<{ rows: Row[]; notes: string[] }> {
  const { seconds, rate, concurrency } = opts;
  const [stub, receiver] = await Promise.all([startStub(), startReceiver()]);
  try {
    // Workers off: the API alone; its events wait in the outbox.
    const off = await startBenchServer({ WORKERS: "off" });
    let w: RoutingWorld;
    let offResult: { result: Result; cpu: string };
    try {
      w = await routingWorld(off, stub.url);
      await submitLeads(off, w, concurrency, Math.max(1, Math.round(seconds / 3)));
      offResult = await measuredSubmit(off, w, concurrency, seconds);
    } finally {
      await off.stop();
    }
    // Workers on (in-process, as `serve` runs by default): relay, fan-out and delivery beside the API; the
    // report projection (issue 18, measured on its own in bench/reports*.ts) off, so the ratio is the events'.
    const on = await startBenchServer({ REPORTS: "off" });
    try {
      const backlog = await drained(w.tenantId, 120_000);
      // Subscribed now: the off run's sales (committed before) are relayed but not delivered, so no backlog of deliveries waits.
      const hook = await post(`${on.url}/api/v1/webhooks`, w.adminKey, {
        url: receiver.url,
        eventTypes: ["lead.sold"],
        description: "bench",
      });
      await submitLeads(on, w, concurrency, Math.max(1, Math.round(seconds / 3)));
      await drained(w.tenantId, 60_000);
      const onResult = await measuredSubmit(on, w, concurrency, seconds);
      await drained(w.tenantId, 60_000);

      const lagFrom = Date.now();
      const submit = await openLoop(on, w, rate, seconds);
      const left = await drained(w.tenantId, 30_000);
      const lags = [...receiver.arrivals.values()].filter((a) => a.committedMs >= lagFrom).map((a) => a.receivedMs - a.committedMs);
      const lag = { ...percentiles(lags), rps: lags.length / seconds, errors: left.outbox + left.deliveries };
      const profile = await stages(w.tenantId, lagFrom, receiver.arrivals);
      const backlogDrain = await catchUp(w.tenantId, hook.data.id, CATCH_UP, 120_000);
      const ratio = onResult.result.rps / offResult.result.rps;
      return {
        rows: [
          { name: `SubmitLead REST, concurrency ${concurrency}, WORKERS=off`, result: offResult.result },
          {
            name: `SubmitLead REST, concurrency ${concurrency}, workers in-process (relay, fan-out, webhook delivery)`,
            result: onResult.result,
          },
          { name: `SubmitLead REST at ${rate} leads/s open loop, workers in-process`, result: submit },
          { name: `Event lag: lead.sold commit to webhook received, at ${rate} leads/s (webhooks/s)`, result: lag },
        ],
        notes: [
          `throughput with workers on / off: ${ratio.toFixed(2)} (target ≥ 0.85); one run each, in this order, on one tenant`,
          `workers off: ${offResult.cpu}; workers on: ${onResult.cpu} (the off run's events are relayed later, by the on server before it is measured)`,
          `event lag p50 ${lag.p50} ms, p99 ${lag.p99} ms over ${lags.length} webhooks (target p99 < 250 ms); ` +
            `lag runs from the event's timestamp (its transaction's start) to the receiver's clock, same machine`,
          profile,
          `open-loop submissions: ${Math.round(submit.rps)} answered a second, errors ${[...submit.errorKinds].map(([k, n]) => `${n} ${k}`).join(", ") || "none"}`,
          `left pending after the lag run's 30 s drain: ${left.outbox} outbox events, ${left.deliveries} deliveries (the errors column)`,
          `webhook catch-up: ${CATCH_UP} deliveries queued at once to the endpoint drained at ${Math.round(backlogDrain.perSecond)} a second ` +
            `(${backlogDrain.seconds.toFixed(1)} s, ${backlogDrain.left} left at 120 s)`,
          `the on server first drained the off run's backlog (left: ${backlog.outbox} events, ${backlog.deliveries} deliveries)`,
          `NATS: ${process.env.NATS_URL ? "JetStream (NATS_URL)" : "none, consumers read the outbox"}`,
        ],
      };
    } finally {
      await on.stop();
    }
  } finally {
    await Promise.all([stub.close(), receiver.close()]);
  }
}
