/**
 * The live stream with NATS: one ordered JetStream consumer per follow
 * (ephemeral, in memory, no acks: the client's cursor is its state) on the
 * tenant's subjects, `<prefix>.<tenantId>.>`, or `<prefix>.<tenantId>.<type>`
 * when exactly one type is asked (nats-server 2.9 has no multi-subject
 * filter, so several types are filtered here). It starts at the stream
 * sequence after the cursor's; with no cursor, after the stream's last
 * message. A start sequence rather than DeliverPolicy.New keeps a consumer
 * the client library recreates (after a reconnect) from replaying the whole
 * stream before its first message.
 */
import { type ConsumerMessages, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeEvent, type LeadEvent } from "./event.ts";
import { admits, type EventFollower, FollowGap, type FollowRequest, followSignal, RecentIds } from "./follow.ts";
import type { EventStreamConfig } from "./relay-stream.ts";

/** The subject a follow reads: the tenant's, narrowed to a type when exactly one is asked. */
export function followSubject(prefix: string, req: Pick<FollowRequest, "tenantId" | "types">): string {
  return req.types.length === 1 ? `${prefix}.${req.tenantId}.${req.types[0]}` : `${prefix}.${req.tenantId}.>`;
}

/** The first stream sequence to read: after the cursor's, or after the last message; FollowGap if the stream dropped messages after the cursor. */
async function startSequence(jsm: JetStreamManager, stream: string, afterSeq: number | null): Promise<number> {
  const { state } = await jsm.streams.info(stream);
  if (afterSeq === null) return state.last_seq + 1;
  // Limits retention drops messages from the front only: if the first one kept is past the cursor's successor
  // (or the stream restarted below the cursor), some events after the cursor are gone.
  if (afterSeq > state.last_seq || (state.messages > 0 && state.first_seq > afterSeq + 1)) throw new FollowGap();
  return afterSeq + 1;
}

/** A follower reading the event stream through the server's NATS connection (which reconnects by itself). */
export function jetStreamFollower(nc: NatsConnection, stream: Pick<EventStreamConfig, "name" | "prefix">): EventFollower {
  const lifetime = new AbortController();
  const js = jetstream(nc);
  let manager: Promise<JetStreamManager> | undefined;
  return {
    closed: lifetime.signal,
    close: () => lifetime.abort(),
    async *follow(req: FollowRequest, callerSignal: AbortSignal): AsyncGenerator<LeadEvent> {
      const signal = followSignal(lifetime.signal, callerSignal);
      manager ??= jetstreamManager(nc).catch((e: unknown) => {
        manager = undefined;
        throw e;
      });
      const start = await startSequence(await manager, stream.name, req.afterSeq);
      if (signal.aborted) return;
      const consumer = await js.consumers.get(stream.name, {
        filter_subjects: followSubject(stream.prefix, req),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: start,
      });
      let messages: ConsumerMessages | undefined;
      const stop = () => void messages?.stop();
      signal.addEventListener("abort", stop, { once: true });
      try {
        // Short pulls: after NATS restarts, the client library finds its consumer gone and recreates it
        // within a few pull periods (the default, 30 s, left a stream silent for half a minute).
        messages = await consumer.consume({ max_messages: 256, expires: 2_000 });
        if (signal.aborted) return;
        const recent = new RecentIds();
        for await (const m of messages) {
          let event: LeadEvent;
          try {
            event = decodeEvent(m.string());
          } catch {
            continue;
          }
          if (admits(req, event) && recent.first(event.id)) yield event;
        }
      } finally {
        signal.removeEventListener("abort", stop);
        messages?.stop();
        await consumer.delete().catch(() => {});
      }
    },
  };
}
