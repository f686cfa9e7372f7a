/**
 * Following the event stream live (EventService.StreamEvents): one interface,
 * two feeders. With NATS an ordered JetStream consumer on the tenant's
 * subjects (follow-jetstream.ts); without it, a poll of the tenant's
 * published outbox rows by position (follow-outbox.ts). Both deliver events
 * in position order (JetStream's stream sequence, or the outbox's local
 * sequence, which is commit order), starting after a cursor, and both apply
 * the same filters and role scoping (`admits`).
 */
import type { Tx } from "../db/tenant-tx.ts";
import { type LeadEvent, visibleTo } from "./event.ts";

/** Runs fn in the caller's tenant transaction (claims set, so row-level security scopes every row). */
export type TenantTx = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

/** Who follows, what they asked for, and where they start. */
export interface FollowRequest {
  tenantId: string;
  role: string;
  partnerId: string | null;
  buyerId: string | null;
  /** Only these types (any when empty). */
  types: readonly string[];
  /** Only events about this resource (any when empty). */
  subjectId: string;
  /** The position after which to start; null: live events only, from now. */
  afterSeq: number | null;
  /** The caller's tenant transaction, for the outbox feeder's reads. */
  tenantTx: TenantTx;
}

/** A live feed of committed events. */
export interface EventFollower {
  /**
   * The events after the request's position that it admits, oldest first,
   * then live ones, until `signal` aborts or the follower closes (the
   * iterator then returns). Throws FollowGap when the events after the
   * position are no longer kept.
   */
  follow(req: FollowRequest, signal: AbortSignal): AsyncIterable<LeadEvent>;
  /** Aborted when the follower closes (server shutdown). */
  readonly closed: AbortSignal;
  /** Ends every follow promptly; later follows end at once. */
  close(): void;
}

/** The events after the cursor are gone (the stream no longer holds them): the client must resume from a newer event. */
export class FollowGap extends Error {}

/** Whether a follow delivers the event: the caller's tenant, a requested type and subject, visible to the caller's role. */
export function admits(req: FollowRequest, event: LeadEvent): boolean {
  if (event.tenantId !== req.tenantId) return false;
  if (req.types.length > 0 && !req.types.includes(event.type)) return false;
  if (req.subjectId !== "" && event.subjectId !== req.subjectId) return false;
  return visibleTo(event, req.role, req.partnerId, req.buyerId);
}

/**
 * Remembers the last `size` event ids a follow delivered, so a message the
 * stream holds twice (a re-publish after the duplicate window) reaches the
 * client once.
 */
export class RecentIds {
  private readonly ids = new Set<string>();
  private readonly size: number;
  constructor(size = 10_000) {
    this.size = size;
  }

  /** True the first time an id is seen (within the last `size`). */
  first(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.size) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}

/** The signal one follow runs under: it aborts when the caller goes away or the follower closes, whichever comes first. */
export function followSignal(closed: AbortSignal, caller: AbortSignal): AbortSignal {
  return AbortSignal.any([closed, caller]);
}
