/**
 * A buyer's default destination: a contract that names no destination
 * delivers to its buyer's default — in direct post, ping-post and
 * cherry-pick claims — and a sale is `not_required` only for a buyer with no
 * destination. The default is the buyer's first destination, can be changed
 * (to one of the buyer's own destinations only), cannot be cleared, and
 * cannot be deleted while the buyer has another destination.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credit, inboxWorld, keyedBuyer, postLead } from "./support/inbox-fixture.ts";
import {
  exampleLead,
  fundedBuyer,
  type LeadWorld,
  leadWorld,
  offerContract,
  type StubEndpoint,
  startStub,
} from "./support/lead-fixture.ts";
import { dataOf, type RestResponse, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let first: StubEndpoint;
let second: StubEndpoint;

beforeAll(async () => {
  server = await startServer();
  first = await startStub();
  second = await startStub();
});
afterAll(async () => {
  await first.close();
  await second.close();
  await server.close();
});

function expectError(r: RestResponse, code: string, field?: string): void {
  expect(r.status, r.text).toBe(400);
  expect(r.body.error.code).toBe(code);
  if (field) expect(r.body.error.details[0].fieldViolations.map((v: { field: string }) => v.field)).toEqual([field]);
}

/** The stub's deliveries of the lead with this email. */
const receivedFor = (stub: StubEndpoint, email: string) => stub.received.filter((r) => (r as { email?: string }).email === email);

const unique = () => `lead-${Math.random().toString(36).slice(2, 10)}@example.com`;

/** Posts a lead with the admin key, which sees its sales whatever the campaign shows partners. */
const sell = async (w: LeadWorld, email: string) =>
  dataOf(
    server.call("POST", "/api/v1/leads/submit", {
      key: w.adminKey,
      body: { campaignId: w.campaignId, postingKey: w.postingKey, ...exampleLead({ email }) },
    }),
  );

/** A second destination for the buyer, at url. */
const addDestination = (w: LeadWorld, buyerId: string, url: string) =>
  dataOf(server.call("POST", `/api/v1/buyers/${buyerId}/destinations`, { key: w.adminKey, body: { name: "Backup CRM", url } }));

const setDefault = (w: LeadWorld, buyerId: string, destinationId: string) =>
  server.call("PATCH", `/api/v1/buyers/${buyerId}?updateMask=defaultDestinationId`, {
    key: w.adminKey,
    body: { defaultDestinationId: destinationId },
  });

describe("direct post through a contract without a destination", () => {
  it("delivers to the buyer's default destination (its first), and a changed default takes the next sale", async () => {
    const w = await leadWorld(server);
    const buyer = await fundedBuyer(server, w, "1000.00", first.url);
    expect((await dataOf(server.call("GET", `/api/v1/buyers/${buyer.id}`, { key: w.adminKey }))).defaultDestinationId).toBe(
      buyer.destinationId,
    );
    const contract = await offerContract(server, w, buyer.id, { pricing: { model: "fixed", price: "20.00" } });
    expect(contract.destinationId ?? "").toBe("");

    const email = unique();
    const lead = await sell(w, email);
    expect(lead.status).toBe("sold");
    expect(lead.sales.map((s: any) => s.deliveryStatus)).toEqual(["delivered"]);
    expect(receivedFor(first, email)).toHaveLength(1);
    const got = await dataOf(server.call("GET", `/api/v1/leads/${lead.id}`, { key: w.adminKey }));
    expect(got.deliveries.map((d: any) => [d.destinationId, d.outcome])).toEqual([[buyer.destinationId, "accepted"]]);

    // A second destination does not take over; naming it the default does, for the very next lead.
    const backup = await addDestination(w, buyer.id, second.url);
    const unchanged = await dataOf(server.call("GET", `/api/v1/buyers/${buyer.id}`, { key: w.adminKey }));
    expect(unchanged.defaultDestinationId).toBe(buyer.destinationId);
    expect((await dataOf(setDefault(w, buyer.id, backup.id))).defaultDestinationId).toBe(backup.id);
    const next = unique();
    const moved = await sell(w, next);
    expect(moved.sales.map((s: any) => s.deliveryStatus)).toEqual(["delivered"]);
    expect(receivedFor(second, next)).toHaveLength(1);
    expect(receivedFor(first, next)).toHaveLength(0);
  });

  it("a buyer with no destination at all still buys with deliveryStatus not_required", async () => {
    const w = await leadWorld(server);
    const buyer = await fundedBuyer(server, w);
    expect((await dataOf(server.call("GET", `/api/v1/buyers/${buyer.id}`, { key: w.adminKey }))).defaultDestinationId ?? "").toBe("");
    await offerContract(server, w, buyer.id, { pricing: { model: "fixed", price: "20.00" } });
    const lead = await sell(w, unique());
    expect(lead.status).toBe("sold");
    expect(lead.sales.map((s: any) => s.deliveryStatus)).toEqual(["not_required"]);
  });
});

describe("ping-post and cherry-pick through a contract without a destination", () => {
  it("a post sells to the winning bid and delivers to its buyer's default destination", async () => {
    const w = await leadWorld(server);
    const buyer = await fundedBuyer(server, w, "1000.00", first.url);
    await offerContract(server, w, buyer.id, { pricing: { model: "fixed", price: "15.00" } });
    const pinged = await dataOf(
      server.call("POST", "/api/v1/leads/ping", {
        key: w.adminKey,
        body: { campaignId: w.campaignId, postingKey: w.postingKey, state: "TX", zip: "78701" },
      }),
    );
    const email = unique();
    const lead = await dataOf(
      server.call("POST", "/api/v1/leads/post", {
        key: w.adminKey,
        body: { token: pinged.token, postingKey: w.postingKey, ...exampleLead({ email }) },
      }),
    );
    expect(lead.status).toBe("sold");
    expect(lead.sales.map((s: any) => s.deliveryStatus)).toEqual(["delivered"]);
    expect(receivedFor(first, email)).toHaveLength(1);
  });

  it("an inbox claim delivers to the claiming buyer's default destination", async () => {
    const w = await inboxWorld(server);
    const buyer = await keyedBuyer(server, w, { url: second.url });
    // No destinationId on the contract; no funds yet, so routing leaves the lead unsold and in the inbox.
    await offerContract(server, w, buyer.id, { pricing: { model: "fixed", price: "30.00" } });
    const lead = await postLead(server, w);
    expect(lead.status).toBe("unsold");
    await credit(server, w, buyer.id, "100.00");
    await dataOf(server.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: buyer.key, body: {} }));
    expect(receivedFor(second, lead.fields.email)).toHaveLength(1);
    const sold = await dataOf(server.call("GET", `/api/v1/leads/${lead.id}`, { key: w.adminKey }));
    expect(sold.sales.map((s: any) => s.deliveryStatus)).toEqual(["delivered"]);
  });
});

describe("the default destination's rules", () => {
  it("is not set on create, must name one of the buyer's own destinations, and cannot be cleared while it has some", async () => {
    const w = await leadWorld(server);
    const created = await server.call("POST", "/api/v1/buyers", {
      key: w.adminKey,
      body: { name: "Early", defaultDestinationId: "0190b3a4-0000-7000-8000-000000000000" },
    });
    expectError(created, "invalid_argument", "defaultDestinationId");
    const a = await fundedBuyer(server, w, "10.00", first.url);
    const b = await fundedBuyer(server, w, "10.00", second.url);
    expectError(await setDefault(w, a.id, b.destinationId), "invalid_argument", "defaultDestinationId");
    expectError(await setDefault(w, a.id, "0190b3a4-0000-7000-8000-000000000000"), "invalid_argument", "defaultDestinationId");
    expectError(await setDefault(w, a.id, "not-a-uuid"), "invalid_argument", "defaultDestinationId");
    expectError(await setDefault(w, a.id, ""), "invalid_argument", "defaultDestinationId");
    expect((await dataOf(server.call("GET", `/api/v1/buyers/${a.id}`, { key: w.adminKey }))).defaultDestinationId).toBe(a.destinationId);
  });

  it("the default cannot be deleted while the buyer has another destination; the last one only with force, which pauses its contracts", async () => {
    const w = await leadWorld(server);
    const buyer = await fundedBuyer(server, w, "1000.00", first.url);
    const backup = await addDestination(w, buyer.id, second.url);
    const contract = await offerContract(server, w, buyer.id, { pricing: { model: "fixed", price: "20.00" } });
    const del = (id: string, force = false) =>
      server.call("DELETE", `/api/v1/buyers/${buyer.id}/destinations/${id}${force ? "?force=true" : ""}`, { key: w.adminKey });

    for (const force of [false, true]) expectError(await del(buyer.destinationId, force), "failed_precondition");
    await dataOf(del(backup.id));
    // Now the default is the last destination, and the contract delivers through it.
    expectError(await del(buyer.destinationId), "failed_precondition");
    expect((await dataOf(server.call("GET", `/api/v1/contracts/${contract.id}`, { key: w.adminKey }))).status).toBe("active");
    await dataOf(del(buyer.destinationId, true));
    expect((await dataOf(server.call("GET", `/api/v1/contracts/${contract.id}`, { key: w.adminKey }))).status).toBe("paused");
    const after = await dataOf(server.call("GET", `/api/v1/buyers/${buyer.id}`, { key: w.adminKey }));
    expect(after.defaultDestinationId ?? "").toBe("");
    // A new destination becomes the default again.
    const fresh = await addDestination(w, buyer.id, second.url);
    expect((await dataOf(server.call("GET", `/api/v1/buyers/${buyer.id}`, { key: w.adminKey }))).defaultDestinationId).toBe(fresh.id);
  });
});
