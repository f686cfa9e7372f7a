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

/** The subject an event is published on: `leadrouter.<tenantId>.<type>`. */
export function eventSubject(tenantId: string, type: string): string {
  return `leadrouter.${tenantId}.${type}`;
}

/** Creates the event stream if missing, or brings its subjects and duplicate window to what the relay needs. */
export async function ensureEventStream(jsm: JetStreamManager, name = EVENT_STREAM): Promise<void> {
  const wanted = { subjects: ["leadrouter.>"], duplicate_window: nanos(DUPLICATE_WINDOW_MS) };
  const info = await jsm.streams.info(name).catch(() => null);
  if (!info) {
    await jsm.streams.add({ name, ...wanted, storage: StorageType.File, retention: RetentionPolicy.Limits });
    return;
  }
  if (info.config.duplicate_window < wanted.duplicate_window || !info.config.subjects?.includes("leadrouter.>")) {
    await jsm.streams.update(name, { ...info.config, ...wanted });
  }
}
