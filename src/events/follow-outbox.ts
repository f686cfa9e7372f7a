/**
 * The live stream without NATS: polls the caller's published outbox rows
 * after the last position it delivered, every `pollMs`. Positions are taken
 * from lr.outbox_local_seq under a lock held to the relay's commit
 * (lr.outbox_mark_published), so a row never becomes visible after one with
 * a higher position: reading `seq > last` in order skips nothing. Each poll
 * is its own short tenant transaction (no connection is held between polls).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { LeadEvent } from "./event.ts";
import { admits, type EventFollower, type FollowRequest, followSignal } from "./follow.ts";
import { eventsAfter, lastPosition } from "./follow-store.ts";

/** How the outbox follower polls. */
export interface OutboxFollowerOptions {
  /** Wait between polls once caught up. */
  pollMs?: number;
  /** Rows read per poll. */
  batchSize?: number;
}

/** A follower reading the outbox directly. */
export function outboxFollower(opts: OutboxFollowerOptions = {}): EventFollower {
  const pollMs = opts.pollMs ?? 150;
  const batchSize = opts.batchSize ?? 500;
  const lifetime = new AbortController();
  return {
    closed: lifetime.signal,
    close: () => lifetime.abort(),
    async *follow(req: FollowRequest, callerSignal: AbortSignal): AsyncGenerator<LeadEvent> {
      const signal = followSignal(lifetime.signal, callerSignal);
      let last = req.afterSeq ?? (await req.tenantTx((tx) => lastPosition(tx)));
      while (!signal.aborted) {
        const rows = await req.tenantTx((tx) => eventsAfter(tx, last, req, batchSize));
        for (const row of rows) {
          if (signal.aborted) return;
          last = row.seq;
          const { seq: _, ...event } = row;
          if (admits(req, event)) yield event;
        }
        if (rows.length < batchSize) await sleep(pollMs, undefined, { signal }).catch(() => {});
      }
    },
  };
}
