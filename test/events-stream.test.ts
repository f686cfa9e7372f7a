/**
 * EventService.StreamEvents, the live event stream, against a real server
 * twice: fed by JetStream (its own nats-server) and by the outbox (no NATS).
 * Each mode runs on a database of its own, since every server with workers
 * relays every tenant's outbox and a relay of the other mode would number
 * the rows differently.
 */
import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { jetstreamManager } from "@nats-io/jetstream";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Event, EventService, type StreamEventsRequestSchema } from "../gen/es/leadrouter/v1/events_pb.js";
import { grpcViolatedFields } from "./support/errors.ts";
import {
  exampleLead,
  fundedBuyer,
  type LeadWorld,
  leadWorld,
  offerContract,
  type StubEndpoint,
  startStub,
  submit,
} from "./support/lead-fixture.ts";
import { startNats, type TestNats } from "./support/nats-server.ts";
import { createOwnDatabase, type OwnDatabase } from "./support/own-database.ts";
import { bearer, type Protocol, startServer, type TestServer, testEventStream } from "./support/server.ts";

/** An open stream: what it received (with when), and its end. */
interface OpenStream {
  events: Event[];
  receivedAt: Map<string, number>;
  /** Resolves with the first received event matching `pred` (or one already received); rejects after `ms`. */
  waitFor(pred: (e: Event) => boolean, ms?: number): Promise<Event>;
  /** Resolves with the error the stream ended with (undefined if it ended cleanly). */
  ended: Promise<unknown>;
  close(): void;
}

function openStream(
  server: TestServer,
  protocol: Protocol,
  key: string,
  req: MessageInitShape<typeof StreamEventsRequestSchema> = {},
): OpenStream {
  const abort = new AbortController();
  const events: Event[] = [];
  const receivedAt = new Map<string, number>();
  const waiters = new Set<() => void>();
  const ended = (async () => {
    try {
      for await (const m of server.client(EventService, protocol).streamEvents(req, { ...bearer(key), signal: abort.signal })) {
        if (m.data) {
          events.push(m.data);
          receivedAt.set(m.data.id, Date.now());
        }
        for (const w of waiters) w();
      }
      return undefined;
    } catch (e) {
      return e;
    } finally {
      for (const w of waiters) w();
    }
  })();
  let done = false;
  void ended.then(() => {
    done = true;
  });
  return {
    events,
    receivedAt,
    ended,
    close: () => abort.abort(),
    waitFor(pred, ms = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find(pred);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          } else if (done) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`stream ended before the event came (${events.length} received)`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${ms} ms (${events.length} received: ${events.map((e) => e.type).join(", ")})`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

/** The error a stream call ends with before sending anything. */
async function streamError(
  server: TestServer,
  protocol: Protocol,
  key: string,
  req: MessageInitShape<typeof StreamEventsRequestSchema>,
): Promise<ConnectError> {
  const s = openStream(server, protocol, key, req);
  const e = await s.ended;
  expect(s.events).toEqual([]);
  return ConnectError.from(e);
}

const modes = [
  { mode: "jetstream", nats: true },
  { mode: "outbox", nats: false },
] as const;

describe.each(modes)("StreamEvents fed by $mode", ({ mode, nats: withNats }) => {
  let db: OwnDatabase;
  let nats: TestNats | undefined;
  let server: TestServer;
  let stub: StubEndpoint;
  let w: LeadWorld;
  let closed = false;

  beforeAll(async () => {
    [db, nats, stub] = await Promise.all([createOwnDatabase(`stream_${mode}`), withNats ? startNats() : undefined, startStub()]);
    server = await startServer({
      databaseUrl: db.url,
      natsUrl: nats?.url,
      ...testEventStream(db.url),
    });
    w = await leadWorld(server);
    const buyer = await fundedBuyer(server, w, "10000.00", stub.url);
    await offerContract(server, w, buyer.id, {
      priority: 1,
      pricing: { model: "fixed", price: "20.00" },
      destinationId: buyer.destinationId,
    });
  });
  afterAll(async () => {
    if (!closed) await server?.close();
    await stub?.close();
    await nats?.close();
    await db?.drop();
  });

  let leadNo = 0;
  /** Sells one lead end to end; resolves with its id once the sale committed. */
  async function sell(): Promise<string> {
    leadNo++;
    const email = `stream-${mode}-${leadNo}-${randomUUID().slice(0, 6)}@example.com`;
    const r = await submit(server, w, exampleLead({ email, phone: `+1512555${String(1000 + leadNo).slice(-4)}` }));
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.status, r.text).toBe("sold");
    return r.body.data.id;
  }

  /** Waits until the relay published every event of the tenant; returns the published ids in position order. */
  async function published(tenantId: string): Promise<string[]> {
    for (let i = 0; ; i++) {
      const waiting = await db.query("SELECT count(*)::int AS n FROM outbox_events WHERE tenant_id = $1 AND seq IS NULL", [tenantId]);
      if (waiting.rows[0].n === 0) break;
      if (i > 300) throw new Error(`${waiting.rows[0].n} events still unpublished after 15 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { rows } = await db.query("SELECT id FROM outbox_events WHERE tenant_id = $1 AND seq IS NOT NULL ORDER BY seq", [tenantId]);
    return rows.map((r) => r.id as string);
  }

  /** Writes an event straight into the outbox, as emit() does in a change's transaction, with its scope. */
  async function insertEvent(tenantId: string, type: string, scope: { partnerId?: string; buyerIds?: string[] } = {}): Promise<string> {
    const id = uuidv7();
    await db.query(
      `INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, partner_id, buyer_ids)
       VALUES ($1, $2, $3, $4, '{"v":1}', $5, $6)`,
      [id, tenantId, type, randomUUID(), scope.partnerId ?? null, scope.buyerIds ?? []],
    );
    return id;
  }

  /** The last published event of the tenant: a cursor that makes a stream's start race-free. */
  async function cursor(tenantId: string): Promise<string> {
    const ids = await published(tenantId);
    if (ids.length > 0) return ids[ids.length - 1];
    await insertEvent(tenantId, "lead.updated");
    return cursor(tenantId);
  }

  it.each(["connect-json", "grpc"] as const)("a %s client receives lead.sold within 1 s of the sale", async (protocol) => {
    const s = openStream(server, protocol, w.adminKey);
    // A live-only stream starts at the stream's end when its consumer exists: give it a moment.
    await new Promise((r) => setTimeout(r, 300));
    const leadId = await sell();
    const sold = await s.waitFor((e) => e.type === "lead.sold" && e.subjectId === leadId, 3_000);
    const soldAt = Number(sold.timestamp?.seconds) * 1000 + Math.floor((sold.timestamp?.nanos ?? 0) / 1e6);
    // The timestamp is taken inside the sale's transaction, before its commit: the lag measured is an upper bound.
    expect((s.receivedAt.get(sold.id) ?? Number.POSITIVE_INFINITY) - soldAt).toBeLessThan(1_000);
    expect(sold.data).toMatchObject({ buyerId: expect.any(String), price: "20.00" });
    s.close();
  });

  it.each(["connect-json", "grpc"] as const)(
    "a %s client resuming from the last id it saw receives exactly the missed events, then live ones",
    async (protocol) => {
      const first = openStream(server, protocol, w.adminKey, { afterId: await cursor(w.tenantId) });
      const seenLead = await sell();
      const last = await first.waitFor((e) => e.type === "lead.sold" && e.subjectId === seenLead);
      first.close();
      await first.ended;
      const lastSeen = first.events[first.events.length - 1].id;
      expect(first.events.map((e) => e.id)).toContain(last.id);

      const missed = [await sell(), await sell()];
      const all = await published(w.tenantId);
      const expected = all.slice(all.indexOf(lastSeen) + 1);
      expect(expected.length).toBeGreaterThanOrEqual(4); // created + sold of each missed lead

      const resumed = openStream(server, protocol, w.adminKey, { afterId: lastSeen });
      await resumed.waitFor((e) => e.id === expected[expected.length - 1]);
      const live = await sell();
      await resumed.waitFor((e) => e.type === "lead.sold" && e.subjectId === live);
      const after = await published(w.tenantId);
      resumed.close();
      const ids = resumed.events.map((e) => e.id);
      expect(ids.slice(0, expected.length)).toEqual(expected);
      expect(ids).toEqual(after.slice(after.indexOf(lastSeen) + 1, after.indexOf(lastSeen) + 1 + ids.length));
      expect(new Set(ids).size).toBe(ids.length);
      for (const leadId of missed) expect(resumed.events.some((e) => e.type === "lead.sold" && e.subjectId === leadId)).toBe(true);
    },
  );

  it.each(["grpc-web", "connect-binary"] as const)("a %s client receives events too", async (protocol) => {
    const s = openStream(server, protocol, w.adminKey, { afterId: await cursor(w.tenantId) });
    const leadId = await sell();
    await s.waitFor((e) => e.type === "lead.sold" && e.subjectId === leadId);
    s.close();
  });

  it("filters by type and by subject", async () => {
    const from = await cursor(w.tenantId);
    const soldOnly = openStream(server, "connect-json", w.adminKey, { afterId: from, types: ["lead.sold"] });
    const twoTypes = openStream(server, "grpc", w.adminKey, { afterId: from, types: ["lead.sold", "lead.created"] });
    const one = await sell();
    const other = await sell();
    const aboutOther = openStream(server, "connect-json", w.adminKey, { afterId: from, subjectId: other });
    await soldOnly.waitFor((e) => e.subjectId === other);
    await twoTypes.waitFor((e) => e.type === "lead.sold" && e.subjectId === other);
    await aboutOther.waitFor((e) => e.type === "lead.sold");
    const marker = await insertEvent(w.tenantId, "lead.updated");
    await published(w.tenantId);
    // An unfiltered stream from the same cursor reaching the marker proves the filtered ones had their chance.
    const everything = openStream(server, "connect-json", w.adminKey, { afterId: from });
    await everything.waitFor((e) => e.id === marker);
    await new Promise((r) => setTimeout(r, 300));
    for (const s of [soldOnly, twoTypes, aboutOther, everything]) s.close();
    expect(soldOnly.events.map((e) => [e.type, e.subjectId])).toEqual([
      ["lead.sold", one],
      ["lead.sold", other],
    ]);
    expect(twoTypes.events.every((e) => e.type === "lead.sold" || e.type === "lead.created")).toBe(true);
    expect(twoTypes.events.filter((e) => e.subjectId === one).map((e) => e.type)).toEqual(["lead.created", "lead.sold"]);
    expect(aboutOther.events.length).toBeGreaterThan(0);
    expect(aboutOther.events.every((e) => e.subjectId === other)).toBe(true);
    expect(everything.events.some((e) => e.type === "lead.updated")).toBe(true);
  });

  it("a partner key's stream carries only its own leads' events, a buyer key's only its own", async () => {
    const partnerA = w.partnerId;
    const partnerB = await server.newPartner(w.adminKey);
    const keyB = (await server.newKey(w.adminKey, { role: "partner", partnerId: partnerB })).secret;
    const buyer = await fundedBuyer(server, w);
    const buyerKey = (await server.newKey(w.adminKey, { role: "buyer", buyerId: buyer.id })).secret;
    const from = await cursor(w.tenantId);
    const asA = openStream(server, "grpc", w.partnerKey, {});
    const asB = openStream(server, "connect-json", keyB, {});
    const asBuyer = openStream(server, "connect-json", buyerKey, {});
    await new Promise((r) => setTimeout(r, 300));
    const ofA = await insertEvent(w.tenantId, "lead.sold", { partnerId: partnerA, buyerIds: [buyer.id] });
    const ofB = await insertEvent(w.tenantId, "lead.sold", { partnerId: partnerB });
    const tenantOnly = await insertEvent(w.tenantId, "contract.updated");
    const lastOfB = await insertEvent(w.tenantId, "lead.updated", { partnerId: partnerB, buyerIds: [buyer.id] });
    await asB.waitFor((e) => e.id === lastOfB);
    await asBuyer.waitFor((e) => e.id === lastOfB);
    await asA.waitFor((e) => e.id === ofA);
    const admin = openStream(server, "connect-json", w.adminKey, { afterId: from });
    await admin.waitFor((e) => e.id === lastOfB);
    await new Promise((r) => setTimeout(r, 300));
    for (const s of [asA, asB, asBuyer, admin]) s.close();
    expect(asA.events.map((e) => e.id)).toEqual([ofA]);
    expect(asB.events.map((e) => e.id)).toEqual([ofB, lastOfB]);
    expect(asBuyer.events.map((e) => e.id)).toEqual([ofA, lastOfB]);
    expect(admin.events.map((e) => e.id)).toEqual(expect.arrayContaining([ofA, ofB, tenantOnly, lastOfB]));
    // Resuming from an event the key may not see is refused like an unknown one.
    const denied = await streamError(server, "grpc", keyB, { afterId: ofA });
    expect(denied.code).toBe(Code.OutOfRange);
  });

  it("another tenant's stream receives nothing of this tenant's, and cannot resume from its events", async () => {
    const other = await server.newTenant();
    const theirs = openStream(server, "grpc", other.adminKey, { afterId: await cursor(other.tenantId) });
    const leadId = await sell();
    const ours = await published(w.tenantId);
    const marker = await insertEvent(other.tenantId, "contract.updated");
    await theirs.waitFor((e) => e.id === marker);
    theirs.close();
    const theirIds = await published(other.tenantId);
    expect(theirs.events.map((e) => e.id)).toEqual(theirIds.slice(theirIds.indexOf(marker)));
    expect(ours.length).toBeGreaterThan(0);
    expect(theirs.events.some((e) => e.subjectId === leadId)).toBe(false);
    const denied = await streamError(server, "connect-json", other.adminKey, { afterId: ours[ours.length - 1] });
    expect(denied.code).toBe(Code.OutOfRange);
  });

  it("refuses a malformed after_id, subject id or type as invalid_argument naming the field, an unknown id as out_of_range", async () => {
    const bad = await streamError(server, "connect-json", w.adminKey, { afterId: "not-a-uuid" });
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(grpcViolatedFields(bad)).toEqual(["afterId"]);
    const badGrpc = await streamError(server, "grpc", w.adminKey, { afterId: "42", subjectId: "x", types: ["lead.sold", "lead.nope"] });
    expect(badGrpc.code).toBe(Code.InvalidArgument);
    expect(grpcViolatedFields(badGrpc)).toEqual(["types[1]", "subjectId", "afterId"]);
    const unknown = await streamError(server, "grpc", w.adminKey, { afterId: uuidv7() });
    expect(unknown.code).toBe(Code.OutOfRange);
    expect(unknown.rawMessage).toMatch(/resume from a newer event or list with GET \/events/);
    expect(grpcViolatedFields(unknown)).toEqual(["afterId"]);
    expect((await streamError(server, "grpc", "lr_not_a_key", {})).code).toBe(Code.Unauthenticated);
    expect((await streamError(server, "connect-json", server.superadminKey, {})).code).toBe(Code.PermissionDenied);
  });

  it("a purged cursor is out_of_range", async () => {
    // The oldest event, as the retention purge deletes it (the stream keeps it: later tests start after newer cursors).
    const [id] = await published(w.tenantId);
    await db.query("DELETE FROM outbox_events WHERE id = $1", [id]);
    const gone = await streamError(server, "connect-json", w.adminKey, { afterId: id });
    expect(gone.code).toBe(Code.OutOfRange);
  });

  if (withNats) {
    it("a cursor whose successors the stream no longer holds is out_of_range", async () => {
      const from = await cursor(w.tenantId);
      await sell();
      const all = await published(w.tenantId);
      const { rows } = await db.query("SELECT seq FROM outbox_events WHERE id = $1", [from]);
      const nc = await (nats as TestNats).connect();
      try {
        // Drops the cursor's message and the one after it, as the stream's age limit would.
        await (await jetstreamManager(nc)).streams.purge(server.config.natsStream, { seq: Number(rows[0].seq) + 2 });
      } finally {
        await nc.close();
      }
      const gone = await streamError(server, "connect-json", w.adminKey, { afterId: from });
      expect(gone.code).toBe(Code.OutOfRange);
      const next = all[all.indexOf(from) + 1];
      const resumed = openStream(server, "grpc", w.adminKey, { afterId: next });
      await resumed.waitFor((e) => e.id === all[all.length - 1]);
      resumed.close();
    });

    it("a stream goes on through a NATS restart: every event after its cursor arrives, in order, once", async () => {
      const from = await cursor(w.tenantId);
      const s = openStream(server, "grpc", w.adminKey, { afterId: from });
      const before = await sell();
      await s.waitFor((e) => e.subjectId === before);
      await nats?.restart();
      const after = await sell();
      await s.waitFor((e) => e.type === "lead.sold" && e.subjectId === after, 25_000);
      s.close();
      const all = await published(w.tenantId);
      const ids = s.events.map((e) => e.id);
      expect(ids).toEqual(all.slice(all.indexOf(from) + 1, all.indexOf(from) + 1 + ids.length));
      expect(ids).toContain(all[all.length - 1]);
    }, 40_000);
  }

  it("server shutdown ends open streams promptly, with unavailable", async () => {
    const s = openStream(server, "grpc", w.adminKey, { afterId: await cursor(w.tenantId) });
    const t = openStream(server, "connect-json", w.adminKey, {});
    const leadId = await sell();
    await s.waitFor((e) => e.subjectId === leadId);
    const started = Date.now();
    closed = true;
    await server.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(ConnectError.from(await s.ended).code).toBe(Code.Unavailable);
    expect(ConnectError.from(await t.ended).code).toBe(Code.Unavailable);
  });
});
