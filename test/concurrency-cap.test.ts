import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { exampleLead, fundedBuyer, leadWorld, offerContract, submit } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let owner: pg.Client;
let slowUrl = "";
let closeSlow: () => void = () => {};

/** The campaign shows its partner the whole story (sales, distribution): these tests read routing from the partner's answers. */
const showsPartnerAll = { partnerResponse: "full" };

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  // A buyer endpoint that takes 400 ms to accept, so deliveries overlap.
  const slow = createServer((req, res) => {
    req.resume();
    req.on("end", () => setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"accepted"}'), 400));
  });
  await new Promise<void>((r) => slow.listen(0, "127.0.0.1", () => r()));
  slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/leads`;
  closeSlow = () => slow.close();
});
afterAll(async () => {
  closeSlow();
  await owner.end();
  await server.close();
});

describe("concurrency cap", () => {
  it(":testMatch reports concurrency_cap_reached while the cap's deliveries are in flight, and GetContract shows inFlight", async () => {
    const w = await leadWorld(server, { campaign: showsPartnerAll });
    const b = await fundedBuyer(server, w);
    const c = await offerContract(server, w, b.id, { concurrencyCap: 1, pricing: { model: "fixed", price: "5.00" } });
    const match = async () =>
      (await server.call("POST", `/api/v1/contracts/${c.id}:testMatch`, { key: w.adminKey, body: { lead: { state: "TX", zip: "78701" } } }))
        .body.data;
    const free = await match();
    expect(free.checks.find((x: any) => x.name === "concurrencyCap")).toMatchObject({ passed: true });
    await owner.query("UPDATE contracts SET in_flight = 1 WHERE id = $1", [c.id]);
    const busy = await match();
    expect(busy.eligible).toBe(false);
    expect(busy.checks.find((x: any) => x.name === "concurrencyCap")).toMatchObject({
      passed: false,
      check: "cap",
      reason: "concurrency_cap_reached",
    });
    expect((await server.call("GET", `/api/v1/contracts/${c.id}`, { key: w.adminKey })).body.data.inFlight).toBe(1);
  });

  it("the engine never has more deliveries in flight than the cap: 6 overlapping leads, cap 2, exactly 2 sold, counter back to 0", async () => {
    const w = await leadWorld(server, { campaign: { ...showsPartnerAll, duplicateCheck: "off", duplicateWindowHours: 0 } });
    const b = await fundedBuyer(server, w, "1000.00", slowUrl);
    const c = await offerContract(server, w, b.id, {
      concurrencyCap: 2,
      pricing: { model: "fixed", price: "5.00" },
      destinationId: b.destinationId,
    });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => submit(server, w, exampleLead({ email: `cc-${randomUUID()}@example.com` }))),
    );
    const statuses = results.map((r) => r.body.data.status).sort();
    expect(statuses).toEqual(["sold", "sold", "unsold", "unsold", "unsold", "unsold"]);
    for (const r of results.filter((x) => x.body.data.status === "unsold")) {
      expect(r.body.data.distribution[0]).toMatchObject({ contractId: c.id, outcome: "capped", reason: "concurrency_cap_reached" });
    }
    const after = await owner.query("SELECT in_flight FROM contracts WHERE id = $1", [c.id]);
    expect(after.rows[0].in_flight).toBe(0);
  });
});
