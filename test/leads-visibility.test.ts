/**
 * Who sees which lead: buyers only leads sold or offered to them (PII only
 * when they bought it, only their own distribution rows), partners only
 * their own; over REST and gRPC. And ListLeads' filters and GetLead by short id.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeadService } from "../gen/es/leadrouter/v1/leads_pb.js";
import { exampleLead, fundedBuyer, type LeadWorld, leadWorld, offerContract, submit } from "./support/lead-fixture.ts";
import { bearer, dataOf, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** A sale as routing decided it (buyer, contract, price, delivery); later fields such as dispositions are other tests' business. */
const saleOf = ({ buyerId, contractId, price, deliveryStatus }: any) => ({ buyerId, contractId, price, deliveryStatus });

/** A second campaign (and posting key) of another partner, on the given offer. */
async function otherCampaign(w: LeadWorld, offerId: string): Promise<{ partnerId: string; partnerKey: string; world: LeadWorld }> {
  const partnerId = await server.newPartner(w.adminKey);
  const partnerKey = (await server.newKey(w.adminKey, { role: "partner", partnerId })).secret;
  const campaign = await dataOf(
    server.call("POST", "/api/v1/campaigns", {
      key: w.adminKey,
      body: {
        name: "Second",
        partnerId,
        verticalId: w.verticalId,
        offerId,
        payout: { model: "fixed", amount: "5.00" },
        duplicateWindowHours: 24,
        duplicateRule: "email",
        partnerResponse: "full",
      },
    }),
  );
  const posting = await dataOf(
    server.call("POST", `/api/v1/campaigns/${campaign.id}/postingKeys`, { key: w.adminKey, body: { name: "prod" } }),
  );
  return { partnerId, partnerKey, world: { ...w, partnerId, partnerKey, campaignId: campaign.id, postingKey: posting.secret, offerId } };
}

const CA = { state: "CA", zip: "94105" };
const NY = { state: "NY", zip: "10001" };
const PII = ["email", "firstName", "lastName", "phone"];
const ids = (leads: readonly { id: string }[]) => leads.map((l) => l.id);

describe("who sees a lead", () => {
  /**
   * Offer 1: Y's contract (TX only) before X's. L1 (TX) is sold to Y and offered to X (outbid); L3 (CA)
   * is filtered at Y and sold to X. Offer 2 has only Y: L2, from another partner, is never offered to X.
   */
  async function scene() {
    // Partners here are shown the whole story (partnerResponse full); test/partner-response.test.ts covers the other levels.
    const w = await leadWorld(server, { campaign: { partnerResponse: "full" } });
    const offer2 = await dataOf(
      server.call("POST", "/api/v1/offers", {
        key: w.adminKey,
        body: { name: "Second", verticalId: w.verticalId, distribution: { mode: "exclusive", maxSales: 1 }, selection: "waterfall" },
      }),
    );
    const [x, y] = [await fundedBuyer(server, w), await fundedBuyer(server, w)];
    const cY = await offerContract(server, w, y.id, {
      priority: 1,
      filters: [{ state: { include: ["TX"] } }],
      pricing: { model: "fixed", price: "20.00" },
    });
    const cX = await offerContract(server, w, x.id, { priority: 2, pricing: { model: "fixed", price: "15.00" } });
    await offerContract(server, w, y.id, { offerId: offer2.id, pricing: { model: "fixed", price: "18.00" } });
    const p2 = await otherCampaign(w, offer2.id);
    const l1 = (await submit(server, w, exampleLead())).body.data;
    const l2 = (await submit(server, p2.world, exampleLead({ email: "two@example.com" }))).body.data;
    const l3 = (await submit(server, w, exampleLead({ email: "three@example.com", ...CA }))).body.data;
    expect([l1.status, l2.status, l3.status]).toEqual(["sold", "sold", "sold"]);
    const keyOf = async (buyerId: string) => (await server.newKey(w.adminKey, { role: "buyer", buyerId })).secret;
    return { w, x, y, cX, cY, p2, l1, l2, l3, xKey: await keyOf(x.id), yKey: await keyOf(y.id) };
  }

  it("over REST: a buyer sees only leads sold or offered to it, PII only when it bought, only its own distribution rows; a partner only its own leads", async () => {
    const s = await scene();
    const get = (key: string, id: string) => server.call("GET", `/api/v1/leads/${id}`, { key });
    const list = async (key: string) => ids(await dataOf(server.call("GET", "/api/v1/leads", { key })));

    expect(await list(s.xKey)).toEqual([s.l3.id, s.l1.id]);
    for (const id of [s.l2.id, s.l2.shortId]) {
      const hidden = await get(s.xKey, id);
      expect([hidden.status, hidden.body.error.code]).toEqual([404, "not_found"]);
    }
    // Offered to X, sold to Y: X sees the lead without PII, its own outbid row, and no sale.
    const offered = (await get(s.xKey, s.l1.id)).body.data;
    expect(offered.fields).toEqual({ state: "TX", zip: "78701" });
    expect(offered.distribution).toEqual([{ contractId: s.cX.id, buyerId: s.x.id, outcome: "outbid", reason: "outbid", price: "15.00" }]);
    expect(offered.sales).toEqual([]);
    // Bought by X: PII and its sale.
    const bought = (await get(s.xKey, s.l3.id)).body.data;
    expect(bought.fields).toMatchObject({
      firstName: "Alex",
      lastName: "Rivera",
      email: "three@example.com",
      phone: "+15125551212",
      ...CA,
    });
    expect(bought.sales.map(saleOf)).toEqual([{ buyerId: s.x.id, contractId: s.cX.id, price: "15.00", deliveryStatus: "not_required" }]);
    expect(bought.distribution.map((d: any) => d.buyerId)).toEqual([s.x.id]);
    // The same from Y's side: L1 and L2 were bought; L3 was filtered out by Y's contract, so never offered to Y.
    expect(await list(s.yKey)).toEqual([s.l2.id, s.l1.id]);
    const filtered = await get(s.yKey, s.l3.id);
    expect([filtered.status, filtered.body.error.code]).toEqual([404, "not_found"]);
    // The admin and the lead's partner (its campaign shows partners everything) see every contract considered, the filtered one first.
    for (const key of [s.w.adminKey, s.w.partnerKey]) {
      expect((await get(key, s.l3.id)).body.data.distribution).toEqual([
        { contractId: s.cY.id, buyerId: s.y.id, outcome: "filtered", reason: "geo_mismatch", price: "20.00" },
        { contractId: s.cX.id, buyerId: s.x.id, outcome: "sold", reason: "", price: "15.00" },
      ]);
    }
    const yBought = (await get(s.yKey, s.l1.id)).body.data;
    for (const k of PII) expect(yBought.fields).toHaveProperty(k);

    // Partners: their own leads only.
    expect(await list(s.w.partnerKey)).toEqual([s.l3.id, s.l1.id]);
    expect(await list(s.p2.partnerKey)).toEqual([s.l2.id]);
    expect((await get(s.w.partnerKey, s.l2.id)).status).toBe(404);
    expect((await get(s.p2.partnerKey, s.l1.id)).body.error.code).toBe("not_found");
    expect((await get(s.p2.partnerKey, s.l2.id)).body.data.fields).toMatchObject({ email: "two@example.com" });
  });

  it("over gRPC: the same scoping through the LeadService client", async () => {
    const s = await scene();
    const leads = server.client(LeadService, "grpc");
    const notFound = async (key: string, id: string) => {
      const err = await leads.getLead({ id }, bearer(key)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.NotFound);
    };

    expect(ids((await leads.listLeads({}, bearer(s.xKey))).data)).toEqual([s.l3.id, s.l1.id]);
    await notFound(s.xKey, s.l2.id);
    const offered = (await leads.getLead({ id: s.l1.shortId }, bearer(s.xKey))).data;
    expect(offered?.fields).toEqual({ state: "TX", zip: "78701" });
    expect(offered?.distribution.map((d) => d.buyerId)).toEqual([s.x.id]);
    expect(offered?.sales).toEqual([]);
    const bought = (await leads.getLead({ id: s.l3.id }, bearer(s.xKey))).data;
    for (const k of PII) expect(bought?.fields).toHaveProperty(k);
    expect(bought?.sales.map((x) => x.buyerId)).toEqual([s.x.id]);

    expect(ids((await leads.listLeads({}, bearer(s.p2.partnerKey))).data)).toEqual([s.l2.id]);
    await notFound(s.p2.partnerKey, s.l1.id);
    await notFound(s.w.partnerKey, s.l2.shortId);
  });
});

describe("ListLeads filters and GetLead by short id", () => {
  it("filters by status, campaign, partner, buyer (sold to), created range, with pagination and order; GetLead takes LD-XXXXXX", async () => {
    const w = await leadWorld(server, { campaign: { partnerResponse: "full" } });
    const [x, y] = [await fundedBuyer(server, w), await fundedBuyer(server, w)];
    await offerContract(server, w, y.id, { filters: [{ state: { include: ["TX"] } }], pricing: { model: "fixed", price: "10.00" } });
    await offerContract(server, w, x.id, { filters: [{ state: { include: ["CA"] } }], pricing: { model: "fixed", price: "9.00" } });
    const p2 = await otherCampaign(w, w.offerId);
    const posts: [LeadWorld, Record<string, unknown>][] = [
      [w, {}], // 0: sold to Y
      [w, { email: "ca@example.com", ...CA }], // 1: sold to X
      [w, { email: "ny@example.com", ...NY }], // 2: unsold
      [p2.world, { email: "p2@example.com" }], // 3: sold to Y
      [w, {}], // 4: duplicate of 0
      [p2.world, { email: "p2ny@example.com", ...NY }], // 5: unsold
    ];
    const l: any[] = [];
    for (const [world, lead] of posts) l.push((await submit(server, world, exampleLead(lead))).body.data);
    expect(l.map((x) => x.status)).toEqual(["sold", "sold", "unsold", "sold", "duplicate", "unsold"]);
    const query = async (q: string, key = w.adminKey) => {
      const data = await dataOf(server.call("GET", `/api/v1/leads?${q}`, { key }));
      return data.map((d: any) => l.findIndex((x) => x.id === d.id));
    };

    expect(await query("status=sold")).toEqual([3, 1, 0]);
    expect(await query("status=unsold")).toEqual([5, 2]);
    expect(await query("status=duplicate")).toEqual([4]);
    expect(await query(`campaignId=${p2.world.campaignId}`)).toEqual([5, 3]);
    expect(await query(`partnerId=${w.partnerId}`)).toEqual([4, 2, 1, 0]);
    expect(await query(`buyerId=${y.id}`)).toEqual([3, 0]);
    expect(await query(`buyerId=${x.id}`)).toEqual([1]);
    expect(await query(`status=sold&campaignId=${w.campaignId}`)).toEqual([1, 0]);
    const range = `created.start=${encodeURIComponent(l[1].createdAt)}&created.end=${encodeURIComponent(l[4].createdAt)}`;
    expect(await query(range)).toEqual([3, 2, 1]);
    expect(await query("orderBy=created_at")).toEqual([0, 1, 2, 3, 4, 5]);
    // Filters never widen what a key may see.
    expect(await query(`partnerId=${w.partnerId}`, p2.partnerKey)).toEqual([]);

    const pages: number[][] = [];
    let token = "";
    do {
      const res = await server.call("GET", `/api/v1/leads?pageSize=2${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`, {
        key: w.adminKey,
      });
      pages.push(res.body.data.map((d: any) => l.findIndex((x) => x.id === d.id)));
      expect(res.body.pagination.pageSize).toBe(2);
      token = res.body.pagination.nextPageToken;
    } while (token && pages.length < 10);
    expect(pages).toEqual([
      [5, 4],
      [3, 2],
      [1, 0],
    ]);
    const first = await server.call("GET", "/api/v1/leads?pageSize=2&status=sold", { key: w.adminKey });
    const second = await server.call(
      "GET",
      `/api/v1/leads?pageSize=2&status=sold&pageToken=${encodeURIComponent(first.body.pagination.nextPageToken)}`,
      {
        key: w.adminKey,
      },
    );
    expect(second.body.data.map((d: any) => d.id)).toEqual([l[0].id]);
    expect(second.body.pagination.nextPageToken ?? "").toBe("");
    // A token belongs to the query that issued it.
    const other = await server.call(
      "GET",
      `/api/v1/leads?pageSize=2&status=unsold&pageToken=${encodeURIComponent(first.body.pagination.nextPageToken)}`,
      {
        key: w.adminKey,
      },
    );
    expect([other.status, other.body.error.code]).toEqual([400, "invalid_argument"]);

    const byShort = await dataOf(server.call("GET", `/api/v1/leads/${l[1].shortId}`, { key: w.adminKey }));
    expect(byShort).toEqual(l[1]);
    const unknown = await server.call("GET", "/api/v1/leads/LD-000000", { key: w.adminKey });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "not_found"]);
    const malformed = await server.call("GET", "/api/v1/leads/LD-12", { key: w.adminKey });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, "invalid_argument"]);
  });
});
