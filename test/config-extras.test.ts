/**
 * The rest of the configuration surface: get and update of buyer and partner
 * notes and of posting keys, one buyer transaction and one partner payout,
 * a buyer's contracts, a partner's and a campaign's leads, and an offer's
 * campaigns — with who may read what, over REST and gRPC.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { PartnerService } from "../gen/es/leadrouter/v1/partners_pb.js";
import { exampleLead, fundedBuyer, type LeadWorld, leadWorld, offerContract, submit } from "./support/lead-fixture.ts";
import { bearer, dataOf, type RestResponse, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** Asserts an error's HTTP status and code. */
function expectError(r: RestResponse, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.body.error.code).toBe(code);
}

const NOT_FOUND = [404, "not_found"] as const;
const DENIED = [403, "permission_denied"] as const;
const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);

/** A second partner with its key and a campaign on the world's offer. */
async function otherPartner(w: LeadWorld): Promise<{ partnerId: string; partnerKey: string; world: LeadWorld }> {
  const partnerId = await server.newPartner(w.adminKey);
  const partnerKey = (await server.newKey(w.adminKey, { role: "partner", partnerId })).secret;
  const body = { name: "Other", partnerId, verticalId: w.verticalId, offerId: w.offerId, duplicateWindowHours: 24, duplicateRule: "email" };
  const campaign = await dataOf(server.call("POST", "/api/v1/campaigns", { key: w.adminKey, body }));
  const posting = await dataOf(server.call("POST", `/api/v1/campaigns/${campaign.id}/postingKeys`, { key: w.adminKey, body: {} }));
  return { partnerId, partnerKey, world: { ...w, partnerId, partnerKey, campaignId: campaign.id, postingKey: posting.secret } };
}

describe.each([
  { kind: "buyer", create: async (key: string) => (await dataOf(server.call("POST", "/api/v1/buyers", { key, body: { name: "B" } }))).id },
  { kind: "partner", create: (key: string) => server.newPartner(key) },
])("$kind notes", ({ kind, create }) => {
  it("get returns the note; update changes only the body; blank, missing and misplaced notes are refused", async () => {
    const { adminKey } = await server.newTenant();
    const [owner, other] = [await create(adminKey), await create(adminKey)];
    const notes = `/api/v1/${kind}s/${owner}/notes`;
    const note = await dataOf(server.call("POST", notes, { key: adminKey, body: { body: "Pays late" } }));
    expect(await dataOf(server.call("GET", `${notes}/${note.id}`, { key: adminKey }))).toEqual(note);
    const patch = { body: "  Pays on time now ", authorKeyId: "00000000-0000-0000-0000-000000000000" };
    const updated = await dataOf(server.call("PATCH", `${notes}/${note.id}`, { key: adminKey, body: patch }));
    expect(updated).toEqual({ ...note, body: "Pays on time now" });
    expect((await dataOf(server.call("GET", `${notes}/${note.id}`, { key: adminKey }))).body).toBe("Pays on time now");
    const blank = await server.call("PATCH", `${notes}/${note.id}?updateMask=body`, { key: adminKey, body: { body: " " } });
    expectError(blank, 400, "invalid_argument");
    const misplaced = `/api/v1/${kind}s/${other}/notes/${note.id}`;
    expectError(await server.call("GET", misplaced, { key: adminKey }), ...NOT_FOUND);
    expectError(await server.call("PATCH", misplaced, { key: adminKey, body: { body: "x" } }), ...NOT_FOUND);
    await dataOf(server.call("DELETE", `${notes}/${note.id}`, { key: adminKey }));
    expectError(await server.call("GET", `${notes}/${note.id}`, { key: adminKey }), ...NOT_FOUND);
    const own = (await server.newKey(adminKey, { role: kind, [`${kind}Id`]: owner })).secret;
    expectError(await server.call("GET", `${notes}/${note.id}`, { key: own }), ...DENIED);
  });
});

describe("posting keys", () => {
  it("get never shows the secret; update renames and keeps the key working; partners may not", async () => {
    const w = await leadWorld(server);
    const keys = `/api/v1/campaigns/${w.campaignId}/postingKeys`;
    const [key] = await dataOf(server.call("GET", keys, { key: w.adminKey }));
    const got = await dataOf(server.call("GET", `${keys}/${key.id}`, { key: w.adminKey }));
    expect(got).toEqual(key);
    expect(got.secret ?? "").toBe("");
    const renamed = await dataOf(
      server.call("PATCH", `${keys}/${key.id}`, { key: w.adminKey, body: { name: "renamed", status: "revoked" } }),
    );
    expect(renamed).toEqual({ ...key, name: "renamed" });
    expect((await submit(server, w, exampleLead())).status).toBe(200);
    const long = await server.call("PATCH", `${keys}/${key.id}`, { key: w.adminKey, body: { name: "x".repeat(201) } });
    expectError(long, 400, "invalid_argument");
    const other = await otherPartner(w);
    expectError(
      await server.call("GET", `/api/v1/campaigns/${other.world.campaignId}/postingKeys/${key.id}`, { key: w.adminKey }),
      ...NOT_FOUND,
    );
    expectError(await server.call("GET", `${keys}/${key.id}`, { key: w.partnerKey }), ...DENIED);
    expectError(await server.call("PATCH", `${keys}/${key.id}`, { key: w.partnerKey, body: { name: "mine" } }), ...DENIED);
  });
});

describe("ledger entries", () => {
  it("a buyer reads its own transaction; another buyer's is not_found; a partner key is permission_denied", async () => {
    const w = await leadWorld(server);
    const [mine, theirs] = [await fundedBuyer(server, w, "100.00"), await fundedBuyer(server, w, "50.00")];
    const [credit] = await dataOf(server.call("GET", `/api/v1/buyers/${mine.id}/transactions`, { key: w.adminKey }));
    const [other] = await dataOf(server.call("GET", `/api/v1/buyers/${theirs.id}/transactions`, { key: w.adminKey }));
    const path = `/api/v1/buyers/${mine.id}/transactions/${credit.id}`;
    expect(await dataOf(server.call("GET", path, { key: w.adminKey }))).toEqual(credit);
    const key = (await server.newKey(w.adminKey, { role: "buyer", buyerId: mine.id })).secret;
    expect(await dataOf(server.call("GET", path, { key }))).toMatchObject({ id: credit.id, kind: "credit", amount: "100.00" });
    expectError(await server.call("GET", `/api/v1/buyers/${theirs.id}/transactions/${other.id}`, { key }), ...NOT_FOUND);
    expectError(await server.call("GET", `/api/v1/buyers/${mine.id}/transactions/${other.id}`, { key: w.adminKey }), ...NOT_FOUND);
    expectError(await server.call("GET", path, { key: w.partnerKey }), ...DENIED);
    const grpc = server.client(BuyerService, "grpc");
    expect((await grpc.getBuyerTransaction({ buyerId: mine.id, id: credit.id }, bearer(key))).data?.amount).toBe("100.00");
    const missing = await grpc.getBuyerTransaction({ buyerId: theirs.id, id: other.id }, bearer(key)).then(
      () => undefined,
      (e) => ConnectError.from(e).code,
    );
    expect(missing).toBe(Code.NotFound);
  });

  it("a partner reads its own payout entry; another partner's is not_found; a buyer key is permission_denied", async () => {
    const w = await leadWorld(server);
    const other = await otherPartner(w);
    const adjust = (id: string) =>
      dataOf(server.call("POST", `/api/v1/partners/${id}:adjust`, { key: w.adminKey, body: { amount: "7.50", memo: "bonus" } }));
    const [entry, theirs] = [await adjust(w.partnerId), await adjust(other.partnerId)];
    const path = `/api/v1/partners/${w.partnerId}/payouts/${entry.id}`;
    expect(await dataOf(server.call("GET", path, { key: w.adminKey }))).toEqual(entry);
    expect(await dataOf(server.call("GET", path, { key: w.partnerKey }))).toEqual(entry);
    expectError(await server.call("GET", `/api/v1/partners/${other.partnerId}/payouts/${theirs.id}`, { key: w.partnerKey }), ...NOT_FOUND);
    expectError(await server.call("GET", `/api/v1/partners/${w.partnerId}/payouts/${theirs.id}`, { key: w.adminKey }), ...NOT_FOUND);
    const buyer = await fundedBuyer(server, w);
    const buyerKey = (await server.newKey(w.adminKey, { role: "buyer", buyerId: buyer.id })).secret;
    expectError(await server.call("GET", path, { key: buyerKey }), ...DENIED);
  });
});

describe("lists under a parent", () => {
  it("a buyer's contracts: its own only, paginated; a buyer key lists its own, not another's; a partner key may not", async () => {
    const w = await leadWorld(server);
    const [mine, theirs] = [await fundedBuyer(server, w), await fundedBuyer(server, w)];
    const pricing = { model: "fixed", price: "10.00" };
    const c1 = await offerContract(server, w, mine.id, { name: "One", pricing });
    const c2 = await offerContract(server, w, mine.id, { name: "Two", pricing });
    await offerContract(server, w, theirs.id, { pricing });
    const list = `/api/v1/buyers/${mine.id}/contracts`;
    expect(ids(await dataOf(server.call("GET", list, { key: w.adminKey })))).toEqual([c2.id, c1.id]);
    const first = await server.call("GET", `${list}?pageSize=1&orderBy=name`, { key: w.adminKey });
    expect(ids(first.body.data)).toEqual([c1.id]);
    const next = `${list}?pageSize=1&orderBy=name&pageToken=${first.body.pagination.nextPageToken}`;
    expect(ids(await dataOf(server.call("GET", next, { key: w.adminKey })))).toEqual([c2.id]);
    const key = (await server.newKey(w.adminKey, { role: "buyer", buyerId: mine.id })).secret;
    expect(ids(await dataOf(server.call("GET", `${list}?status=active`, { key })))).toEqual([c2.id, c1.id]);
    expectError(await server.call("GET", `/api/v1/buyers/${theirs.id}/contracts`, { key }), ...NOT_FOUND);
    expectError(await server.call("GET", list, { key: w.partnerKey }), ...DENIED);
  });

  it("a partner's and a campaign's leads: newest first, paginated; a partner sees its own only; a buyer key may not", async () => {
    const w = await leadWorld(server);
    const other = await otherPartner(w);
    const l1 = (await submit(server, w, exampleLead())).body.data;
    const l2 = (await submit(server, w, exampleLead({ email: "two@example.com" }))).body.data;
    const l3 = (await submit(server, other.world, exampleLead({ email: "three@example.com" }))).body.data;
    const byPartner = `/api/v1/partners/${w.partnerId}/leads`;
    const byCampaign = `/api/v1/campaigns/${w.campaignId}/leads`;
    for (const list of [byPartner, byCampaign]) {
      expect(ids(await dataOf(server.call("GET", list, { key: w.adminKey })))).toEqual([l2.id, l1.id]);
      expect(ids(await dataOf(server.call("GET", list, { key: w.partnerKey })))).toEqual([l2.id, l1.id]);
      const first = await server.call("GET", `${list}?pageSize=1`, { key: w.partnerKey });
      expect(ids(first.body.data)).toEqual([l2.id]);
      const rest = await dataOf(
        server.call("GET", `${list}?pageSize=1&pageToken=${first.body.pagination.nextPageToken}`, { key: w.partnerKey }),
      );
      expect(ids(rest)).toEqual([l1.id]);
    }
    expect(ids(await dataOf(server.call("GET", `/api/v1/campaigns/${other.world.campaignId}/leads`, { key: w.adminKey })))).toEqual([
      l3.id,
    ]);
    expectError(await server.call("GET", `/api/v1/partners/${other.partnerId}/leads`, { key: w.partnerKey }), ...NOT_FOUND);
    expectError(await server.call("GET", `/api/v1/campaigns/${other.world.campaignId}/leads`, { key: w.partnerKey }), ...NOT_FOUND);
    const buyer = await fundedBuyer(server, w);
    const buyerKey = (await server.newKey(w.adminKey, { role: "buyer", buyerId: buyer.id })).secret;
    expectError(await server.call("GET", byPartner, { key: buyerKey }), ...DENIED);
    expectError(await server.call("GET", byCampaign, { key: buyerKey }), ...DENIED);
    const grpc = server.client(PartnerService, "grpc");
    expect(ids((await grpc.listPartnerLeads({ partnerId: w.partnerId }, bearer(w.partnerKey))).data)).toEqual([l2.id, l1.id]);
  });

  it("an offer's campaigns: only those on the offer, filtered by status; partner keys may not; a missing offer is not_found", async () => {
    const w = await leadWorld(server);
    const other = await otherPartner(w);
    const body = { name: "Elsewhere", partnerId: w.partnerId, verticalId: w.verticalId, duplicateWindowHours: 24, duplicateRule: "email" };
    await dataOf(server.call("POST", "/api/v1/campaigns", { key: w.adminKey, body }));
    await dataOf(server.call("POST", `/api/v1/campaigns/${other.world.campaignId}:pause`, { key: w.adminKey, body: {} }));
    const list = `/api/v1/offers/${w.offerId}/campaigns`;
    expect(ids(await dataOf(server.call("GET", list, { key: w.adminKey })))).toEqual([other.world.campaignId, w.campaignId]);
    expect(ids(await dataOf(server.call("GET", `${list}?status=paused`, { key: w.adminKey })))).toEqual([other.world.campaignId]);
    const first = await server.call("GET", `${list}?pageSize=1&orderBy=created_at`, { key: w.adminKey });
    expect(ids(first.body.data)).toEqual([w.campaignId]);
    expect(first.body.pagination.nextPageToken).not.toBe("");
    expectError(await server.call("GET", list, { key: w.partnerKey }), ...DENIED);
    expectError(
      await server.call("GET", "/api/v1/offers/0190a7e0-0000-7000-8000-000000000000/campaigns", { key: w.adminKey }),
      ...NOT_FOUND,
    );
  });
});
