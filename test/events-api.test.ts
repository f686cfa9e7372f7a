/**
 * GET /api/v1/events and /events/{id}: committed events, newest first, with
 * typed data; role-scoped (a partner sees its own leads' events, a buyer its
 * purchases' and its own configuration's, another tenant nothing); filtered
 * by type, time and subject; refusing what it cannot read with a 400 naming
 * the field.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventService } from "../gen/es/leadrouter/v1/events_pb.js";
import { type KeyedBuyer, contractFor, keyedBuyer, postLead } from "./support/inbox-fixture.ts";
import { expectError } from "./support/errors.ts";
import { type LeadWorld, leadWorld } from "./support/lead-fixture.ts";
import { bearer, dataOf, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

const events = (key: string, query = "") => server.call("GET", `/api/v1/events${query}`, { key });
const list = async (key: string, query = ""): Promise<any[]> => dataOf(events(key, query));

/** A second partner selling into the same tenant, with its own campaign and key. */
async function secondPartner(w: LeadWorld): Promise<LeadWorld> {
  const partnerId = await server.newPartner(w.adminKey);
  const partnerKey = (await server.newKey(w.adminKey, { role: "partner", partnerId })).secret;
  const campaign = await dataOf(
    server.call("POST", "/api/v1/campaigns", {
      key: w.adminKey,
      body: {
        name: "Second",
        partnerId,
        verticalId: w.verticalId,
        offerId: w.offerId,
        payout: { model: "fixed", amount: "5.00" },
        duplicateWindowHours: 24,
        duplicateRule: "email",
      },
    }),
  );
  const posting = await dataOf(
    server.call("POST", `/api/v1/campaigns/${campaign.id}/postingKeys`, { key: w.adminKey, body: { name: "prod" } }),
  );
  return { ...w, partnerId, partnerKey, campaignId: campaign.id, postingKey: posting.secret };
}

/** A tenant with two partners and two buyers: buyer X buys A's lead (its contract first), buyer Y buys B's. */
async function scene() {
  const a = await leadWorld(server);
  const b = await secondPartner(a);
  const x: KeyedBuyer = await keyedBuyer(server, a, { funds: "100.00" });
  const y: KeyedBuyer = await keyedBuyer(server, a, { funds: "100.00" });
  const cx = await contractFor(server, a, x, { priority: 1, pricing: { model: "fixed", price: "30.00" } });
  const leadA = await postLead(server, a);
  await dataOf(server.call("POST", `/api/v1/contracts/${cx.id}:pause`, { key: a.adminKey, body: {} }));
  const cy = await contractFor(server, a, y, { priority: 2, pricing: { model: "fixed", price: "20.00" } });
  const leadB = await postLead(server, b);
  expect([leadA.status, leadB.status]).toEqual(["sold", "sold"]);
  return { a, b, x, y, cx, cy, leadA, leadB };
}

describe("GET /api/v1/events", () => {
  it("a sold lead's lead.created and lead.sold are listed newest first with typed data, and each reads by id", async () => {
    const { a, x, cx, leadA } = await scene();
    const mine = await list(a.adminKey, `?subjectId=${leadA.id}`);
    expect(mine.map((e) => e.type)).toEqual(["lead.sold", "lead.created"]);
    const [sold, created] = mine;
    expect(created.data).toEqual({ leadId: leadA.id, campaignId: a.campaignId, partnerId: a.partnerId, test: false, pingId: "", tags: [] });
    expect(sold.data).toEqual({
      leadId: leadA.id,
      buyerId: x.id,
      contractId: cx.id,
      price: "30.00",
      test: false,
      channel: "routing",
      pingId: "",
      bidId: "",
    });
    expect(sold.subjectId).toBe(leadA.id);
    expect(sold.timestamp >= created.timestamp).toBe(true);
    expect(sold.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(await dataOf(server.call("GET", `/api/v1/events/${sold.id}`, { key: a.adminKey }))).toEqual(sold);
    // The same over gRPC.
    const grpc = server.client(EventService, "grpc");
    const got = await grpc.getEvent({ id: created.id }, bearer(a.adminKey));
    expect(got.data?.type).toBe("lead.created");
    expect(got.data?.data).toEqual(created.data);
  });

  it("a partner key sees only its own leads' events: another partner's lead is invisible and reads as not found", async () => {
    const { a, b, leadA, leadB } = await scene();
    const seenByA = await list(a.partnerKey, "?pageSize=500");
    const subjects = new Set(seenByA.map((e) => e.subjectId));
    expect(subjects.has(leadA.id)).toBe(true);
    expect(subjects.has(leadB.id)).toBe(false);
    // Besides its leads' events: its own partner record, campaign and keys, each naming it (a posting key names its campaign).
    const own = new Set([leadA.id, a.partnerId]);
    const foreign = seenByA.filter((e) => !own.has(e.subjectId) && e.data.partnerId !== a.partnerId && e.data.campaignId !== a.campaignId);
    expect(foreign).toEqual([]);
    expect(seenByA.map((e) => e.type)).toContain("campaign.created");
    const ofB = await list(b.partnerKey, `?subjectId=${leadB.id}`);
    expect(ofB.map((e) => e.type)).toEqual(["lead.sold", "lead.created"]);
    const hidden = await server.call("GET", `/api/v1/events/${ofB[0].id}`, { key: a.partnerKey });
    expect([hidden.status, hidden.body.error.code]).toEqual([404, "not_found"]);
    expect(await list(a.partnerKey, `?subjectId=${leadB.id}`)).toEqual([]);
    // Over gRPC too.
    const grpc = server.client(EventService, "grpc");
    const err = await grpc.getEvent({ id: ofB[0].id }, bearer(a.partnerKey)).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.NotFound);
  });

  it("a buyer key sees its purchases' events and its own contracts', never another buyer's; a lead's intake is not its business", async () => {
    const { a, x, y, cx, cy, leadA, leadB } = await scene();
    const seenByX = await list(x.key, "?pageSize=500");
    const keyOf = (e: any) => `${e.type} ${e.subjectId}`;
    expect(seenByX.map(keyOf)).toContain(`lead.sold ${leadA.id}`);
    expect(seenByX.map(keyOf)).toContain(`contract.created ${cx.id}`);
    expect(seenByX.map(keyOf)).toContain(`contract.updated ${cx.id}`);
    expect(seenByX.map(keyOf)).toContain(`buyer.created ${x.id}`);
    expect(seenByX.some((e) => e.subjectId === leadB.id || e.subjectId === cy.id || e.subjectId === y.id)).toBe(false);
    expect(seenByX.some((e) => e.type === "lead.created")).toBe(false);
    const soldToY = (await list(a.adminKey, `?subjectId=${leadB.id}&types=lead.sold`))[0];
    expect((await server.call("GET", `/api/v1/events/${soldToY.id}`, { key: x.key })).status).toBe(404);
    expect((await server.call("GET", `/api/v1/events/${soldToY.id}`, { key: y.key })).status).toBe(200);
  });

  it("another tenant's admin sees none of the tenant's events, by list or by id", async () => {
    const { a, leadA } = await scene();
    const other = await server.newTenant();
    const [first] = await list(a.adminKey, `?subjectId=${leadA.id}`);
    expect(await list(other.adminKey, `?subjectId=${leadA.id}`)).toEqual([]);
    const theirs = await list(other.adminKey, "?pageSize=500");
    expect(theirs.some((e) => e.id === first.id)).toBe(false);
    expect((await server.call("GET", `/api/v1/events/${first.id}`, { key: other.adminKey })).status).toBe(404);
  });

  it("filters by types, subject and time range, and pages newest first without gaps or repeats", async () => {
    const { a, leadA, leadB } = await scene();
    const all = await list(a.adminKey, "?pageSize=500");
    expect(all.length).toBeGreaterThan(10);
    const sorted = [...all].sort((p, q) => (p.timestamp === q.timestamp ? (p.id < q.id ? 1 : -1) : p.timestamp < q.timestamp ? 1 : -1));
    expect(all.map((e) => e.id)).toEqual(sorted.map((e) => e.id));

    const sold = await list(a.adminKey, "?types=lead.sold&pageSize=500");
    expect(new Set(sold.map((e) => e.subjectId))).toEqual(new Set([leadA.id, leadB.id]));
    const two = await list(a.adminKey, "?types=lead.sold&types=contract.created&pageSize=500");
    expect(new Set(two.map((e) => e.type))).toEqual(new Set(["lead.sold", "contract.created"]));

    // The time range: start inclusive, end exclusive.
    const soldA = sold.find((e) => e.subjectId === leadA.id);
    const at = encodeURIComponent(soldA.timestamp);
    const from = await list(a.adminKey, `?types=lead.sold&startTime=${at}`);
    expect(from.map((e) => e.subjectId)).toEqual([leadB.id, leadA.id]);
    const before = await list(a.adminKey, `?types=lead.sold&endTime=${at}`);
    expect(before).toEqual([]);

    // Pages of 3 walk the same list.
    const walked: string[] = [];
    let token = "";
    for (let i = 0; i < 50; i++) {
      const r = await events(a.adminKey, `?pageSize=3${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`);
      expect(r.status, r.text).toBe(200);
      walked.push(...r.body.data.map((e: any) => e.id));
      token = r.body.pagination.nextPageToken;
      if (!token) break;
    }
    expect(walked).toEqual(all.map((e) => e.id));
  });

  it("refuses an unknown type, a subject that is not a uuid, an empty range and a bad id with 400 naming the field", async () => {
    const { adminKey } = await server.newTenant();
    expectError(await events(adminKey, "?types=lead.sold&types=lead.exploded"), 400, "invalid_argument", ["types"]);
    expectError(await events(adminKey, "?subjectId=nope"), 400, "invalid_argument", ["subjectId"]);
    expectError(await events(adminKey, "?startTime=2026-01-02T00:00:00Z&endTime=2026-01-01T00:00:00Z"), 400, "invalid_argument", [
      "endTime",
    ]);
    expectError(await server.call("GET", "/api/v1/events/not-a-uuid", { key: adminKey }), 400, "invalid_argument", ["id"]);
    const missing = await server.call("GET", "/api/v1/events/01968f2a-9163-7f76-9082-adbecfd0e106", { key: adminKey });
    expect([missing.status, missing.body.error.code]).toEqual([404, "not_found"]);
  });
});
