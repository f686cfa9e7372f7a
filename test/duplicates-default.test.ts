/**
 * Duplicate detection is on by default: a campaign created without a word
 * about duplicates refuses the same consumer posted again within 720 hours
 * (email or phone) and charges its buyer once. An operator turns the check
 * off explicitly, on create or update, and the same lead then sells twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleLead, fundedBuyer, type LeadWorld, leadWorld, offerContract } from "./support/lead-fixture.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** A campaign of the world's partner on its offer, created with exactly `settings` about duplicates, and a posting key. */
async function campaignWith(w: LeadWorld, settings: Record<string, unknown>) {
  const campaign = await dataOf(
    server.call("POST", "/api/v1/campaigns", {
      key: w.adminKey,
      body: { name: "Fresh traffic", partnerId: w.partnerId, verticalId: w.verticalId, offerId: w.offerId, ...settings },
    }),
  );
  const key = await dataOf(
    server.call("POST", `/api/v1/campaigns/${campaign.id}/postingKeys`, { key: w.adminKey, body: { name: "prod" } }),
  );
  return { campaign, postingKey: key.secret as string };
}

/** A world with one funded buyer whose contract buys every lead at 20.00; returns it with the buyer's id. */
async function sellingWorld(): Promise<{ w: LeadWorld; buyerId: string }> {
  const w = await leadWorld(server);
  const buyer = await fundedBuyer(server, w, "1000.00");
  await offerContract(server, w, buyer.id, { pricing: { model: "fixed", price: "20.00" } });
  return { w, buyerId: buyer.id };
}

/** Posts the lead with the admin key (which sees every sale) and returns it. */
const post = (w: LeadWorld, c: { campaign: { id: string }; postingKey: string }, lead: Record<string, unknown>) =>
  dataOf(
    server.call("POST", "/api/v1/leads/submit", {
      key: w.adminKey,
      body: { campaignId: c.campaign.id, postingKey: c.postingKey, ...lead },
    }),
  );

const charges = async (w: LeadWorld, buyerId: string) =>
  (await dataOf(server.call("GET", `/api/v1/buyers/${buyerId}/transactions?kind=charge`, { key: w.adminKey }))).length;

describe("duplicate detection by default", () => {
  it("a campaign created without duplicate settings checks 720 hours by email or phone: the repeat is a duplicate, charged once", async () => {
    const { w, buyerId } = await sellingWorld();
    const c = await campaignWith(w, {});
    expect(c.campaign).toMatchObject({ duplicateCheck: "on", duplicateWindowHours: 720, duplicateRule: "email_or_phone" });
    const lead = exampleLead({ email: "repeat@example.com" });
    const firstPost = await post(w, c, lead);
    expect(firstPost.status).toBe("sold");
    // The same consumer by phone alone is the same lead under email_or_phone.
    const again = await post(w, c, exampleLead({ email: "other@example.com" }));
    expect([again.status, again.reason]).toEqual(["duplicate", "duplicate_in_window"]);
    expect(again.sales).toEqual([]);
    expect(await charges(w, buyerId)).toBe(1);
  });

  it("a campaign created with duplicateCheck off sells the same lead twice", async () => {
    const { w, buyerId } = await sellingWorld();
    const c = await campaignWith(w, { duplicateCheck: "off" });
    expect(c.campaign.duplicateCheck).toBe("off");
    expect(c.campaign.duplicateWindowHours ?? 0).toBe(0);
    const lead = exampleLead({ email: "twice@example.com" });
    expect((await post(w, c, lead)).status).toBe("sold");
    expect((await post(w, c, lead)).status).toBe("sold");
    expect(await charges(w, buyerId)).toBe(2);
  });

  it("an update turns the check off and on; a window turns it on; a window with the check off is refused", async () => {
    const { w } = await sellingWorld();
    const c = await campaignWith(w, { duplicateWindowHours: 48 });
    expect(c.campaign).toMatchObject({ duplicateCheck: "on", duplicateWindowHours: 48 });
    const patch = (body: Record<string, unknown>, mask?: string) =>
      server.call("PATCH", `/api/v1/campaigns/${c.campaign.id}${mask ? `?updateMask=${mask}` : ""}`, { key: w.adminKey, body });

    const off = await dataOf(patch({ duplicateCheck: "off" }));
    expect([off.duplicateCheck, off.duplicateWindowHours ?? 0]).toEqual(["off", 0]);
    const lead = exampleLead({ email: "toggle@example.com" });
    expect((await post(w, c, lead)).status).toBe("sold");
    expect((await post(w, c, lead)).status).toBe("sold");

    const on = await dataOf(patch({ duplicateCheck: "on" }));
    expect([on.duplicateCheck, on.duplicateWindowHours]).toEqual(["on", 720]);
    expect((await post(w, c, lead)).status).toBe("duplicate");

    await dataOf(patch({ duplicateCheck: "off" }));
    const windowed = await dataOf(patch({ duplicateWindowHours: 12 }));
    expect([windowed.duplicateCheck, windowed.duplicateWindowHours]).toEqual(["on", 12]);
    // Naming the window in the mask without a value restores the default window.
    expect((await dataOf(patch({}, "duplicateWindowHours"))).duplicateWindowHours).toBe(720);

    for (const [body, field] of [
      [{ duplicateCheck: "off", duplicateWindowHours: 24 }, "duplicateWindowHours"],
      [{ duplicateWindowHours: 9000 }, "duplicateWindowHours"],
      [{ duplicateWindowHours: -1 }, "duplicateWindowHours"],
    ] as const) {
      const bad = await patch(body);
      expect(bad.status, bad.text).toBe(400);
      expect(bad.body.error.details[0].fieldViolations.map((v: { field: string }) => v.field)).toEqual([field]);
    }
    const created = await server.call("POST", "/api/v1/campaigns", {
      key: w.adminKey,
      body: { name: "Bad", partnerId: w.partnerId, verticalId: w.verticalId, duplicateCheck: "off", duplicateWindowHours: 24 },
    });
    expect(created.status, created.text).toBe(400);
  });

  it("a clone keeps the source's duplicate check, off included", async () => {
    const { w } = await sellingWorld();
    const c = await campaignWith(w, { duplicateCheck: "off" });
    const clone = await dataOf(server.call("POST", `/api/v1/campaigns/${c.campaign.id}:clone`, { key: w.adminKey, body: {} }));
    expect(clone.duplicateCheck).toBe("off");
  });
});
