/**
 * The open-loop load: operations started at a fixed rate whatever the
 * answers (a slow or dead server does not slow the load down), spread over
 * the API processes in turn, mixing direct posts, ping-post (ping, then post
 * with its token), leads for the cherry-pick inbox, claims, returns (filed by
 * the buyer, approved by the admin) and configuration changes. Every request
 * is recorded: status, latency, and for 2xx the lead and what the answer said.
 */
import { randomUUID } from "node:crypto";
import { type Answer, call } from "./api.ts";
import type { World } from "./world.ts";

/** The kinds of operation. */
export type Op = "submit" | "ping" | "post" | "inbox" | "claim" | "return" | "approve" | "config";

/** One request and its answer. */
export interface Rec {
  op: Op;
  /** Which API process (index) it went to. */
  api: number;
  /** When it started, ms since the load began. */
  at: number;
  ms: number;
  status: number;
  /** The error envelope's code, or why there was no answer. */
  code?: string;
  leadId?: string;
  /** Lead status the answer gave (sold, unsold, …). */
  leadStatus?: string;
  /** The sales the answer listed: [buyerId, price]. */
  sales?: [string, string][];
  payout?: string;
}

/** How often each operation starts, relative. */
export const DEFAULT_MIX: Record<"submit" | "ping" | "inbox" | "claim" | "return" | "config", number> = {
  submit: 50,
  ping: 15,
  inbox: 15,
  claim: 10,
  return: 5,
  config: 5,
};

/** A running load. */
export interface Load {
  records: Rec[];
  /** ms since the load began. */
  now(): number;
  /** Operations started on API process `api` and not yet answered. */
  pending(api: number): number;
  /** Stops starting operations and resolves once every one in flight has ended. */
  stop(): Promise<Rec[]>;
}

/** Options: operations per second, the API base URLs, the mix. */
export interface LoadOptions {
  rate: number;
  apis: string[];
  mix?: Partial<typeof DEFAULT_MIX>;
  /** Per-request client deadline (ms). */
  timeoutMs?: number;
}

function lead(): Record<string, unknown> {
  return {
    firstName: "Alex",
    lastName: "Rivera",
    email: `chaos.${randomUUID()}@example.com`,
    phone: `+15125${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`,
    state: "TX",
    zip: "78701",
    consent: { timestamp: new Date().toISOString(), ip: "198.51.100.42", userAgent: "chaos" },
  };
}

function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)];
}

/** Starts the load. */
export function startLoad(w: World, opts: LoadOptions): Load {
  const mix = Object.entries({ ...DEFAULT_MIX, ...opts.mix }).filter(([, n]) => n > 0) as [keyof typeof DEFAULT_MIX, number][];
  const total = mix.reduce((s, [, n]) => s + n, 0);
  const timeout = opts.timeoutMs ?? 10_000;
  const records: Rec[] = [];
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const inFlight = new Set<Promise<void>>();
  // Sold direct leads not returned yet, by buyer: the returns' candidates.
  const returnable: { leadId: string; buyerId: string }[] = [];
  const buyerKey = new Map(w.direct.map((b) => [b.id, b.key]));
  const outstanding = opts.apis.map(() => 0);
  let turn = 0;
  let started = 0;
  let stopped = false;

  const record = (op: Op, api: number, at: number, a: Answer): Rec => {
    const r: Rec = { op, api, at, ms: a.ms, status: a.status };
    if (a.status === 0) r.code = a.error;
    else if (a.status !== 200) r.code = a.body?.error?.code ?? "no_envelope";
    else {
      const d = a.body?.data ?? {};
      if (op === "submit" || op === "post" || op === "inbox" || op === "claim") {
        r.leadId = op === "claim" ? d.leadId : d.id;
        r.leadStatus = op === "claim" ? "sold" : d.status;
        r.sales = (d.sales ?? []).map((s: { buyerId: string; price: string }) => [s.buyerId, s.price]);
        r.payout = d.payout;
      }
    }
    records.push(r);
    return r;
  };

  const run = async (kind: keyof typeof DEFAULT_MIX) => {
    const api = turn++ % opts.apis.length;
    outstanding[api]++;
    try {
      await runOn(kind, api);
    } finally {
      outstanding[api]--;
    }
  };

  const runOn = async (kind: keyof typeof DEFAULT_MIX, api: number) => {
    const base = opts.apis[api];
    const partner = pick(w.partners);
    const at = now();
    if (kind === "submit") {
      const r = record(
        "submit",
        api,
        at,
        await call(base, "POST", "/api/v1/leads/submit", partner.key, { ...partner.direct, ...lead() }, timeout),
      );
      if (r.leadStatus === "sold" && r.leadId && r.sales?.[0]) returnable.push({ leadId: r.leadId, buyerId: r.sales[0][0] });
    } else if (kind === "inbox") {
      record("inbox", api, at, await call(base, "POST", "/api/v1/leads/submit", partner.key, { ...partner.inbox, ...lead() }, timeout));
    } else if (kind === "ping") {
      const body = { ...partner.ping, state: "TX", zip: "78701" };
      const a = await call(base, "POST", "/api/v1/leads/ping", partner.key, body, timeout);
      record("ping", api, at, a);
      const token = a.status === 200 ? a.body?.data?.token : undefined;
      if (token) {
        const p = { token, postingKey: partner.ping.postingKey, ...lead() };
        record("post", api, now(), await call(base, "POST", "/api/v1/leads/post", partner.key, p, timeout));
      }
    } else if (kind === "claim") {
      const list = await call(base, "GET", "/api/v1/inbox?pageSize=20", w.picker.key, undefined, timeout);
      const open = list.status === 200 ? (list.body.data as { leadId: string; status: string }[]).filter((i) => i.status === "open") : [];
      if (open.length === 0) return;
      const target = pick(open).leadId;
      record("claim", api, now(), await call(base, "POST", `/api/v1/inbox/${target}:claim`, w.picker.key, {}, timeout));
    } else if (kind === "return") {
      const sold = returnable.splice(Math.floor(Math.random() * returnable.length), 1)[0];
      if (!sold) return;
      const key = buyerKey.get(sold.buyerId);
      if (!key) return;
      const a = await call(base, "POST", `/api/v1/leads/${sold.leadId}/returns`, key, { reason: "bad phone" }, timeout);
      record("return", api, at, a);
      if (a.status === 200) {
        const id = a.body.data.id;
        record("approve", api, now(), await call(base, "POST", `/api/v1/returns/${id}:approve`, w.adminKey, { note: "chaos" }, timeout));
      }
    } else {
      // A configuration change under load: the open contract's weight (routing caches are invalidated).
      const weight = 1 + Math.floor(Math.random() * 1000);
      record("config", api, at, await call(base, "PATCH", `/api/v1/contracts/${w.direct[1].contractId}`, w.adminKey, { weight }, timeout));
    }
  };

  const choose = (): keyof typeof DEFAULT_MIX => {
    let x = Math.random() * total;
    for (const [k, n] of mix) {
      x -= n;
      if (x < 0) return k;
    }
    return mix[0][0];
  };

  const timer = setInterval(() => {
    if (stopped) return;
    const due = Math.floor((now() / 1000) * opts.rate);
    while (started < due) {
      started++;
      const p = run(choose()).catch((e: unknown) => {
        records.push({ op: "submit", api: -1, at: now(), ms: 0, status: -1, code: `harness: ${(e as Error).message}` });
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  }, 5);

  return {
    records,
    now,
    pending: (api) => outstanding[api] ?? 0,
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      return records;
    },
  };
}
