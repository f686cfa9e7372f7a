/**
 * The JetStream stream lead events are published to: one stream holding
 * every subject `leadrouter.<tenantId>.<type>`, with a duplicate window long
 * enough that a relay re-publishing a batch after a crash stores nothing
 * twice (the message id is the event id). Uses only what nats-server 2.9
 * has: file storage, limits retention, msgID dedupe.
 */
import { type JetStreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";

/** The stream's name unless the caller chooses another (tests use a random one). */
export const EVENT_STREAM = "LEADROUTER_EVENTS";

/** How long JetStream remembers a message id; a re-publish within it is dropped as a duplicate. */
export const DUPLICATE_WINDOW_MS = 5 * 60_000;

/** The first token of every event subject unless the caller chooses another (tests that share a NATS server do). */
export const SUBJECT_PREFIX = "leadrouter";

/** How long the stream keeps a message, unless told otherwise: the outbox's default retention, 7 days. */
export const STREAM_MAX_AGE_MS = 7 * 24 * 3600_000;

/** The subject an event is published on: `leadrouter.<tenantId>.<type>`. */
export function eventSubject(tenantId: string, type: string, prefix = SUBJECT_PREFIX): string {
  return `${prefix}.${tenantId}.${type}`;
}

/** Where events go: the stream's name, its subjects' first token, and how long it keeps a message. */
export interface EventStreamConfig {
  name: string;
  prefix: string;
  maxAgeMs: number;
}

/** The production stream: LEADROUTER_EVENTS on `leadrouter.>`, kept 7 days. */
export const DEFAULT_STREAM: EventStreamConfig = { name: EVENT_STREAM, prefix: SUBJECT_PREFIX, maxAgeMs: STREAM_MAX_AGE_MS };

/** Creates the event stream if missing, or brings its subjects, duplicate window and age limit to what the relay needs. */
export async function ensureEventStream(jsm: JetStreamManager, stream: Partial<EventStreamConfig> = {}): Promise<void> {
  const { name, prefix, maxAgeMs } = { ...DEFAULT_STREAM, ...stream };
  const subject = `${prefix}.>`;
  const wanted = { subjects: [subject], duplicate_window: nanos(DUPLICATE_WINDOW_MS), max_age: nanos(maxAgeMs) };
  const info = await jsm.streams.info(name).catch(() => null);
  if (!info) {
    await jsm.streams.add({ name, ...wanted, storage: StorageType.File, retention: RetentionPolicy.Limits });
    return;
  }
  const c = info.config;
  if (c.duplicate_window < wanted.duplicate_window || c.max_age !== wanted.max_age || !c.subjects?.includes(subject)) {
    await jsm.streams.update(name, { ...c, ...wanted });
  }
}
