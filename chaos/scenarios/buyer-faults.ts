/**
 * Scenario 6: buyers' endpoints that hang, reset connections, close them
 * early, refuse them, answer slowly, trickle, fail with 500 or answer
 * garbage. For each behaviour in turn, a hostile buyer gets a contract
 * first in the direct offer's waterfall and one in the ping offer, under a
 * load of direct posts and ping-posts. Every deadline holds (the hostile
 * delivery ends by its timeout, the ping answers by its deadline), every
 * lead falls through and sells to the good buyers, and the distribution,
 * the delivery attempts and the bids say why. The hostile contracts are
 * paused and the offer's order restored afterwards.
 */
import { must } from "../api.ts";
import { type Rec, startLoad } from "../load.ts";
import { conclude, quantile, redelivered, sleep } from "../phase.ts";
import type { Scenario, ScenarioContext } from "../scenario.ts";
import { type Behaviour, type HostileBuyer, startHostileBuyer } from "../../test/support/hostile-buyer.ts";

/** The hostile destination's timeout; the ping offer's deadline is the world's (1000 ms). */
const timeoutMs = 500;
const pingDeadlineMs = 1000;
/**
 * What the router may add to a deadline under the load (routing, the good buyer, writes, HTTP): this, or the
 * p99 of the control phase (no hostile buyer) when the machine is slower than that.
 */
const marginMs = 1000;
/**
 * How far past its timeout (or the ping deadline) the router's own measure of a hostile exchange may be: timer
 * and event-loop delay on a loaded machine. A deadline not held shows as seconds (the trickle takes 2.1 s).
 */
const slackMs = 500;

interface Phase {
  name: string;
  behaviour: Behaviour;
  /** The hostile contract's distribution row: its outcome and a reason that says why. */
  direct: { outcome: "error" | "rejected"; reason: RegExp };
  /** The hostile bid's status and reason. */
  bid: { status: string; reason: string };
}

const timedOut = { outcome: "error" as const, reason: new RegExp(`^no answer within ${timeoutMs} ms$`) };
const late = { status: "late", reason: "ping_timeout" };
const notJson = { outcome: "error" as const, reason: /^the answer is not JSON/ };
const unreadable = { status: "failed", reason: "unreadable_answer" };

const phases: Phase[] = [
  { name: "hang", behaviour: { kind: "hang" }, direct: timedOut, bid: late },
  { name: "slow (3 s)", behaviour: { kind: "slow", delayMs: 3000 }, direct: timedOut, bid: late },
  { name: "trickle", behaviour: { kind: "trickle", intervalMs: 100 }, direct: timedOut, bid: late },
  {
    name: "reset",
    behaviour: { kind: "reset" },
    direct: { outcome: "error", reason: /^the connection was reset/ },
    bid: { status: "failed", reason: "connection_reset" },
  },
  {
    name: "close early",
    behaviour: { kind: "close-early" },
    direct: { outcome: "error", reason: /^the connection closed before an answer/ },
    bid: { status: "failed", reason: "connection_closed" },
  },
  {
    name: "refuse",
    behaviour: { kind: "refuse" },
    direct: { outcome: "error", reason: /ECONNREFUSED$/ },
    bid: { status: "failed", reason: "connection_refused" },
  },
  {
    name: "HTTP 500",
    behaviour: { kind: "http-500" },
    direct: { outcome: "error", reason: /^HTTP 500$/ },
    bid: { status: "failed", reason: "http_500" },
  },
  { name: "HTML", behaviour: { kind: "garbage", body: "not-json" }, direct: notJson, bid: unreadable },
  { name: "truncated JSON", behaviour: { kind: "garbage", body: "truncated" }, direct: notJson, bid: unreadable },
  { name: "binary with NUL", behaviour: { kind: "garbage", body: "wrong-content-type" }, direct: notJson, bid: unreadable },
  {
    name: "64 MiB answer",
    behaviour: { kind: "garbage", body: "huge" },
    direct: { outcome: "error", reason: /^the answer is larger than/ },
    bid: { status: "failed", reason: "answer_too_large" },
  },
  {
    name: "NUL and 50 KB reason",
    behaviour: { kind: "garbage", body: "hostile-reason" },
    direct: { outcome: "rejected", reason: /^no\uFFFDx{200}/u },
    // A bid answer is small JSON: 50 KB is none.
    bid: { status: "failed", reason: "answer_too_large" },
  },
];

/** The offers and contracts of the world this scenario needs (read through the API). */
async function offersOf(ctx: ScenarioContext): Promise<{ directOfferId: string; pingOfferId: string; verticalId: string }> {
  const api = ctx.cluster.apis[0].url;
  const key = ctx.world.adminKey;
  const direct = await must(api, "GET", `/api/v1/contracts/${ctx.world.direct[0].contractId}`, key);
  const ping = await must(api, "GET", `/api/v1/contracts/${ctx.world.pinger.contractId}`, key);
  return { directOfferId: direct.offerId, pingOfferId: ping.offerId, verticalId: direct.verticalId };
}

/** One phase's hostile contracts: a direct one (priority 1, first) and a ping one, on the phase's endpoints. */
async function hostileContracts(
  ctx: ScenarioContext,
  buyerId: string,
  ids: Awaited<ReturnType<typeof offersOf>>,
  post: HostileBuyer,
  ping: HostileBuyer,
) {
  const api = ctx.cluster.apis[0].url;
  const key = ctx.world.adminKey;
  const dest = await must(api, "POST", `/api/v1/buyers/${buyerId}/destinations`, key, {
    name: `hostile ${post.url}`,
    url: post.url,
    bodyFormat: "json",
    acceptPath: "status",
    acceptValues: ["accepted"],
    reasonPath: "reason",
    timeoutMs,
  });
  const base = { buyerId, verticalId: ids.verticalId, destinationId: dest.id };
  const direct = await must(api, "POST", "/api/v1/contracts", key, {
    ...base,
    name: "Hostile direct",
    offerId: ids.directOfferId,
    priority: 1,
    pricing: { model: "fixed", price: "30.00" },
  });
  const pinged = await must(api, "POST", "/api/v1/contracts", key, {
    ...base,
    name: "Hostile bidder",
    offerId: ids.pingOfferId,
    pricing: { model: "ping", pingUrl: ping.url, ceiling: "50.00" },
  });
  return { direct: direct.id as string, ping: pinged.id as string };
}

/**
 * What a phase broke: leads not sold past the hostile buyer, reasons that do
 * not say why, deadlines not held. A timeout is the true reason for any
 * behaviour when the router did wait the whole timeout (a loaded machine
 * can see a reset after its deadline): it is accepted then, and counted.
 */
async function judge(
  ctx: ScenarioContext,
  p: Phase,
  contracts: { direct: string; ping: string; pinger: string },
  records: readonly Rec[],
  margin: { submit: number; ping: number },
) {
  const db = ctx.db();
  const submits = records.filter((r) => r.op === "submit");
  const leadIds = submits.filter((r) => r.status === 200 && r.leadId).map((r) => r.leadId as string);
  const rows = (
    await db.query(
      `SELECT l.id::text AS lead, l.status, d.outcome, d.reason, a.latency_ms
       FROM leads l
       LEFT JOIN lead_distribution d ON d.lead_id = l.id AND d.contract_id = $2
       LEFT JOIN lead_deliveries a ON a.lead_id = l.id AND a.contract_id = $2
       WHERE l.id = ANY($1::uuid[])`,
      [leadIds, contracts.direct],
    )
  ).rows as { lead: string; status: string; outcome: string | null; reason: string | null; latency_ms: number | null }[];
  const waited = (r: { reason: string | null; latency_ms: number | null }) =>
    r.reason === `no answer within ${timeoutMs} ms` && (r.latency_ms ?? 0) >= timeoutMs;
  // A delivery the timeout ended first (a loaded machine answers late) is an error saying so, whatever the phase.
  const saysWhy = (r: (typeof rows)[number]) =>
    waited(r) ? r.outcome === "error" : r.outcome === p.direct.outcome && p.direct.reason.test(r.reason ?? "");
  const wrongDirect = rows.filter((r) => r.status !== "sold" || !saysWhy(r));
  const lateDeliveries = rows.filter((r) => (r.latency_ms ?? 0) > timeoutMs + slackMs);
  const bids = (await db.query("SELECT status, reason, latency_ms FROM ping_bids WHERE contract_id = $1", [contracts.ping])).rows as {
    status: string;
    reason: string;
    latency_ms: number | null;
  }[];
  const timedOutBid = (b: (typeof bids)[number]) => b.status === "late" && b.reason === "ping_timeout";
  const wrongBids = bids.filter(
    (b) => !((b.status === p.bid.status && b.reason === p.bid.reason) || timedOutBid(b)) || (b.latency_ms ?? 0) > pingDeadlineMs + slackMs,
  );
  const posts = records.filter((r) => r.op === "post" && r.status === 200 && r.leadId).map((r) => r.leadId as string);
  // The good bidder wins whenever it bid in time: a post whose ping holds its valid bid is sold.
  const unsoldPosts = (
    await db.query(
      `SELECT l.id::text AS lead, l.status FROM pings g JOIN leads l ON l.id = g.lead_id
       WHERE g.lead_id = ANY($1::uuid[]) AND l.status <> 'sold'
         AND EXISTS (SELECT 1 FROM ping_bids b WHERE b.ping_id = g.id AND b.contract_id = $2 AND b.status = 'valid')`,
      [posts, contracts.pinger],
    )
  ).rows;
  const notOk = records.filter((r) => r.status !== 200);
  const slowSubmits = submits.filter((r) => r.ms > timeoutMs + margin.submit);
  const pings = records.filter((r) => r.op === "ping");
  const slowPings = pings.filter((r) => r.ms > pingDeadlineMs + margin.ping);
  const tag = (xs: unknown[]) => xs.slice(0, 5).map((x) => ({ phase: p.name, ...(x as object) }));
  const ms = (xs: readonly Rec[]) =>
    `p50 ${quantile(
      xs.map((r) => r.ms),
      0.5,
    )} p99 ${quantile(
      xs.map((r) => r.ms),
      0.99,
    )} ms`;
  const hostileMs = rows.map((r) => r.latency_ms ?? 0);
  return {
    offending: {
      direct: tag(wrongDirect),
      deliveries: tag(lateDeliveries),
      bids: tag(wrongBids),
      notOk: tag(notOk.map((r) => ({ op: r.op, status: r.status, code: r.code }))),
      slow: tag([...slowSubmits, ...slowPings].map((r) => ({ op: r.op, ms: Math.round(r.ms) }))),
      posts: tag(unsoldPosts),
    },
    figure:
      `${submits.length} submits ${ms(submits)}, hostile delivery max ${Math.max(0, ...hostileMs)} ms, ` +
      `${rows.filter((r) => r.reason !== null && !p.direct.reason.test(r.reason) && waited(r)).length} timed out first; ` +
      `${pings.length} pings ${ms(pings)}, ${bids.filter((b) => b.status === p.bid.status && b.reason === p.bid.reason).length}/${bids.length} bids ${p.bid.status} ${p.bid.reason}`,
  };
}

export const scenario: Scenario = {
  id: "6",
  title: "hostile buyer endpoints (hang, reset, slow, garbage)",
  async run(ctx) {
    const { cluster: c, world: w } = ctx;
    const api = c.apis[0].url;
    const rate = ctx.short ? 10 : 20;
    const seconds = ctx.short ? 4 : 10;
    const duplicatesBefore = redelivered(c.receiver);
    const ids = await offersOf(ctx);
    const buyer = await must(api, "POST", "/api/v1/buyers", w.adminKey, { name: "Hostile buyer" });
    await must(api, "POST", `/api/v1/buyers/${buyer.id}:credit`, w.adminKey, { amount: "1000000.00", memo: "prepaid" });
    // The hostile contract goes first: the world's first contract steps back to priority 2 (after its own created_at order).
    const first = w.direct[0].contractId;
    await must(api, "PATCH", `/api/v1/contracts/${first}?updateMask=priority`, w.adminKey, { priority: 2 });
    const mix = { submit: 70, ping: 30, inbox: 0, claim: 0, return: 0, config: 0 };
    // A control phase first, with no hostile buyer: it warms the processes and gives the latencies to compare with.
    const control = startLoad(w, { rate, apis: c.apis.map((a) => a.url), mix });
    await sleep(seconds * 1000);
    const records: Rec[] = await control.stop();
    const controlMs = (op: Rec["op"]) => records.filter((r) => r.op === op && r.status === 200).map((r) => r.ms);
    const controlFigure = (op: Rec["op"]) => `p50 ${quantile(controlMs(op), 0.5)} p99 ${quantile(controlMs(op), 0.99)} ms`;
    const margin = {
      submit: Math.max(marginMs, quantile(controlMs("submit"), 0.99)),
      ping: Math.max(marginMs, quantile(controlMs("ping"), 0.99)),
    };
    const kinds = ["direct", "deliveries", "bids", "notOk", "slow", "posts"] as const;
    const checks = Object.fromEntries(kinds.map((k) => [k, [] as unknown[]])) as Record<(typeof kinds)[number], unknown[]>;
    const figures: Record<string, string> = { control: `submits ${controlFigure("submit")}, pings ${controlFigure("ping")}` };
    ctx.log(`scenario 6: control (no hostile buyer): ${figures.control}`);
    try {
      for (const p of phases) {
        const post = await startHostileBuyer(p.behaviour);
        const ping = await startHostileBuyer(p.behaviour, { kind: "ping", bid: "30.00" });
        let contracts: { direct: string; ping: string; pinger: string } | undefined;
        try {
          contracts = { ...(await hostileContracts(ctx, buyer.id, ids, post, ping)), pinger: w.pinger.contractId };
          const load = startLoad(w, { rate, apis: c.apis.map((a) => a.url), mix });
          await sleep(seconds * 1000);
          const phaseRecords = await load.stop();
          records.push(...phaseRecords);
          const judged = await judge(ctx, p, contracts, phaseRecords, margin);
          for (const [k, v] of Object.entries(judged.offending)) checks[k as keyof typeof checks].push(...v);
          figures[p.name] = judged.figure;
          ctx.log(`scenario 6: ${p.name}: ${judged.figure}`);
        } finally {
          for (const id of contracts ? [contracts.direct, contracts.ping] : [])
            await must(api, "POST", `/api/v1/contracts/${id}:pause`, w.adminKey, {});
          await post.close();
          await ping.close();
        }
      }
    } finally {
      await must(api, "PATCH", `/api/v1/contracts/${first}?updateMask=priority`, w.adminKey, { priority: 1 });
    }
    return conclude(ctx, {
      id: "6",
      title: this.title,
      load: `${rate} ops/s (70 % direct post, 30 % ping-post) for ${seconds} s per behaviour (${phases.length}) after a control phase, over 2 API processes`,
      faults: `a hostile buyer first in the waterfall and in the auction: ${phases.map((p) => p.name).join(", ")}`,
      records,
      recoverySeconds: null,
      duplicatesBefore,
      checks: [
        { name: "every direct lead fell through the hostile buyer and sold, its distribution saying why", offending: checks.direct },
        { name: `every hostile delivery ended by its timeout (${timeoutMs} ms + ${slackMs})`, offending: checks.deliveries },
        {
          name: `every hostile bid was recorded late or failed with why, within the ping deadline (+ ${slackMs} ms)`,
          offending: checks.bids,
        },
        { name: "every request answered 2xx (no 5xx to the partner)", offending: checks.notOk },
        {
          name: `every submit within the timeout + ${margin.submit} ms, every ping within its deadline + ${margin.ping} ms (${marginMs} ms or the control p99)`,
          offending: checks.slow,
        },
        { name: "every post whose good bidder bid in time sold", offending: checks.posts },
      ],
      figures,
    });
  },
};
