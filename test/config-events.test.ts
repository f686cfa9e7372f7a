/**
 * The configuration changes made outside a resource's own standard methods
 * write their events in the same transaction: a forced delete's cascades,
 * an offer's contract attach and detach, a suppression list's attachments
 * and entries, and campaign posting keys. Each writes an event only for what
 * actually changed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contractFor, keyedBuyer } from "./support/inbox-fixture.ts";
import { type LeadWorld, leadWorld } from "./support/lead-fixture.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

/** REST calls with the world's admin key, and the events about one subject (oldest first). */
function api(w: LeadWorld) {
  const call = (method: string, path: string, body?: unknown) => dataOf(server.call(method, path, { key: w.adminKey, body }));
  const events = async (subjectId: string, type?: string, key = w.adminKey): Promise<any[]> => {
    const all = await dataOf(server.call("GET", `/api/v1/events?pageSize=500&subjectId=${subjectId}`, { key }));
    return all.filter((e: any) => !type || e.type === type).reverse();
  };
  return { call, events };
}

describe("configuration events of cascades and sub-resources", () => {
  it("deleting a buyer with force writes contract.updated (status ended) for each contract it ends", async () => {
    const w = await leadWorld(server);
    const { call, events } = api(w);
    const buyer = await keyedBuyer(server, w);
    const active = await contractFor(server, w, buyer);
    const paused = await contractFor(server, w, buyer, { name: "Paused" });
    await call("POST", `/api/v1/contracts/${paused.id}:pause`, {});
    const before = (await events(paused.id, "contract.updated")).length;
    await call("DELETE", `/api/v1/buyers/${buyer.id}?force=true`);
    for (const c of [active, paused]) {
      const ended = (await events(c.id, "contract.updated")).filter((e) => e.data.status === "ended");
      expect(ended.map((e) => e.data.id)).toEqual([c.id]);
    }
    expect((await events(paused.id, "contract.updated")).length).toBe(before + 1);
  });

  it("an offer's detach writes contract.updated only for contracts that were attached; attach only when it changes", async () => {
    const w = await leadWorld(server);
    const { call, events } = api(w);
    const buyer = await keyedBuyer(server, w);
    const onOffer = await contractFor(server, w, buyer);
    const other = await call("POST", "/api/v1/offers", {
      name: "Other",
      verticalId: w.verticalId,
      distribution: { mode: "exclusive", maxSales: 1 },
      selection: "waterfall",
    });
    const elsewhere = await contractFor(server, w, buyer, { name: "Elsewhere", offerId: other.id });
    const count = async (id: string) => (await events(id, "contract.updated")).length;
    const [a0, b0] = [await count(onOffer.id), await count(elsewhere.id)];
    await call("POST", `/api/v1/offers/${w.offerId}:detachContracts`, { contractIds: [onOffer.id, elsewhere.id] });
    expect([await count(onOffer.id), await count(elsewhere.id)]).toEqual([a0 + 1, b0]);
    const detached = (await events(onOffer.id, "contract.updated")).at(-1);
    expect(detached.data.offerId).toBe("");
    await call("POST", `/api/v1/offers/${w.offerId}:attachContracts`, { contractIds: [onOffer.id] });
    await call("POST", `/api/v1/offers/${w.offerId}:attachContracts`, { contractIds: [onOffer.id] });
    expect(await count(onOffer.id)).toBe(a0 + 2);
    expect((await events(onOffer.id, "contract.updated")).at(-1).data.offerId).toBe(w.offerId);
  });

  it("a suppression list's attach and detach write campaign.updated / contract.updated for what changed", async () => {
    const w = await leadWorld(server);
    const { call, events } = api(w);
    const contract = await contractFor(server, w, await keyedBuyer(server, w));
    const list = await call("POST", "/api/v1/suppressionLists", { name: "DNC", kind: "email" });
    const attach = { campaignIds: [w.campaignId], contractIds: [contract.id] };
    await call("POST", `/api/v1/suppressionLists/${list.id}:attach`, attach);
    const campaignEvents = await events(w.campaignId, "campaign.updated");
    const contractEvents = await events(contract.id, "contract.updated");
    expect(campaignEvents.at(-1).data.suppressionListIds).toEqual([list.id]);
    expect(contractEvents.at(-1).data.suppressionListIds).toEqual([list.id]);
    // Attaching again changes nothing and writes nothing; the list itself did not change.
    await call("POST", `/api/v1/suppressionLists/${list.id}:attach`, attach);
    expect((await events(w.campaignId, "campaign.updated")).length).toBe(campaignEvents.length);
    expect((await events(contract.id, "contract.updated")).length).toBe(contractEvents.length);
    expect(await events(list.id, "suppression_list.updated")).toEqual([]);
    await call("POST", `/api/v1/suppressionLists/${list.id}:detach`, { campaignIds: [w.campaignId] });
    expect((await events(w.campaignId, "campaign.updated")).at(-1).data.suppressionListIds).toEqual([]);
    expect((await events(contract.id, "contract.updated")).length).toBe(contractEvents.length);
    // A forced delete detaches it from the contract: contract.updated without it.
    await call("DELETE", `/api/v1/suppressionLists/${list.id}?force=true`);
    const last = await events(contract.id, "contract.updated");
    expect(last.length).toBe(contractEvents.length + 1);
    expect(last.at(-1).data.suppressionListIds).toEqual([]);
  });

  it("entries added or removed write one suppression_list.updated per call with the count, never the values", async () => {
    const w = await leadWorld(server);
    const { call, events } = api(w);
    const list = await call("POST", "/api/v1/suppressionLists", { name: "DNC", kind: "email" });
    const values = ["one@example.com", "two@example.com", "three@example.com"];
    await call("POST", `/api/v1/suppressionLists/${list.id}:addEntries`, { values });
    let updates = await events(list.id, "suppression_list.updated");
    expect(updates.map((e) => e.data.entryCount)).toEqual([3]);
    // Nothing new: no event.
    await call("POST", `/api/v1/suppressionLists/${list.id}:addEntries`, { values: ["ONE@example.com"] });
    await call("POST", `/api/v1/suppressionLists/${list.id}:removeEntries`, { values: ["absent@example.com"] });
    expect((await events(list.id, "suppression_list.updated")).length).toBe(1);
    await call("POST", `/api/v1/suppressionLists/${list.id}:removeEntries`, { values: values.slice(0, 2) });
    updates = await events(list.id, "suppression_list.updated");
    expect(updates.map((e) => e.data.entryCount)).toEqual([3, 1]);
    const text = JSON.stringify(await events(list.id));
    for (const v of values) expect(text).not.toContain(v);
  });

  it("posting keys write posting_key.created and .updated, without the secret, visible to the campaign's partner", async () => {
    const w = await leadWorld(server);
    const { call, events } = api(w);
    const base = `/api/v1/campaigns/${w.campaignId}/postingKeys`;
    const key = await call("POST", base, { name: "site" });
    const created = await events(key.id, "posting_key.created");
    expect(created.map((e) => [e.data.id, e.data.name, e.data.status, e.data.secret])).toEqual([[key.id, "site", "active", ""]]);
    // The campaign's partner sees its keys' events; the event list never holds a secret.
    expect((await events(key.id, "posting_key.created", w.partnerKey)).length).toBe(1);
    await call("PATCH", `${base}/${key.id}`, { campaignId: w.campaignId, name: "site renamed" });
    const rotated = await call("POST", `${base}/${key.id}:rotate`, {});
    const old = await events(key.id, "posting_key.updated");
    expect(old.map((e) => [e.data.name, e.data.status])).toEqual([
      ["site renamed", "active"],
      ["site renamed", "revoked"],
    ]);
    const replacement = await events(rotated.id, "posting_key.created");
    expect(replacement.map((e) => [e.data.rotatedFromId, e.data.status])).toEqual([[key.id, "active"]]);
    await call("POST", `${base}/${rotated.id}:revoke`, {});
    await call("POST", `${base}/${rotated.id}:revoke`, {});
    expect((await events(rotated.id, "posting_key.updated")).map((e) => e.data.status)).toEqual(["revoked"]);
    // Deleting the campaign with force revokes its active keys: posting_key.updated for each.
    const third = await call("POST", base, { name: "third" });
    await call("DELETE", `/api/v1/campaigns/${w.campaignId}?force=true`);
    expect((await events(third.id, "posting_key.updated")).map((e) => e.data.status)).toEqual(["revoked"]);
    const all = JSON.stringify(await dataOf(server.call("GET", "/api/v1/events?pageSize=500", { key: w.adminKey })));
    for (const secret of [key.secret, rotated.secret, third.secret, w.postingKey]) expect(all).not.toContain(secret);
    const types = (await dataOf(server.call("GET", "/api/v1/event-types", { key: w.adminKey }))).map((t: any) => t.name);
    expect(types.filter((t: string) => t.startsWith("posting_key."))).toEqual(["posting_key.created", "posting_key.updated"]);
  });

  it("a partner's forced delete writes campaign.updated (paused) and api_key.updated (revoked)", async () => {
    const w = await leadWorld(server);
    const { call, events } = api(w);
    const apiKey = await server.newKey(w.adminKey, { role: "partner", partnerId: w.partnerId });
    await call("DELETE", `/api/v1/partners/${w.partnerId}?force=true`);
    expect((await events(w.campaignId, "campaign.updated")).at(-1).data.status).toBe("paused");
    expect((await events(apiKey.id, "api_key.updated")).map((e) => e.data.status)).toEqual(["revoked"]);
  });

  it("an offer's forced delete writes campaign.updated and contract.updated for what it detaches", async () => {
    const w = await leadWorld(server);
    const { call, events } = api(w);
    const contract = await contractFor(server, w, await keyedBuyer(server, w));
    await call("DELETE", `/api/v1/offers/${w.offerId}?force=true`);
    expect((await events(w.campaignId, "campaign.updated")).map((e) => [e.data.offerId, e.data.status])).toEqual([["", "paused"]]);
    expect((await events(contract.id, "contract.updated")).map((e) => e.data.offerId)).toEqual([""]);
  });

  it("a vertical's forced delete writes offer.updated, campaign.updated and contract.updated for what it stops", async () => {
    const w = await leadWorld(server);
    const { call, events } = api(w);
    const contract = await contractFor(server, w, await keyedBuyer(server, w));
    await call("DELETE", `/api/v1/verticals/${w.verticalId}?force=true`);
    expect((await events(w.offerId, "offer.updated")).map((e) => e.data.status)).toEqual(["paused"]);
    expect((await events(w.campaignId, "campaign.updated")).map((e) => e.data.status)).toEqual(["paused"]);
    expect((await events(contract.id, "contract.updated")).map((e) => e.data.status)).toEqual(["ended"]);
  });

  it("a buyer's first destination and the forced delete of its last write buyer.updated and contract.updated", async () => {
    const w = await leadWorld(server);
    const { call, events } = api(w);
    const buyer = await keyedBuyer(server, w, { url: "http://127.0.0.1:9/crm" });
    expect((await events(buyer.id, "buyer.updated")).map((e) => e.data.defaultDestinationId)).toEqual([buyer.destinationId]);
    const contract = await contractFor(server, w, buyer);
    await call("DELETE", `/api/v1/buyers/${buyer.id}/destinations/${buyer.destinationId}?force=true`);
    expect((await events(buyer.id, "buyer.updated")).map((e) => e.data.defaultDestinationId)).toEqual([buyer.destinationId, ""]);
    expect((await events(contract.id, "contract.updated")).map((e) => [e.data.destinationId, e.data.status])).toEqual([["", "paused"]]);
  });
});
