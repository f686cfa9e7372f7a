/**
 * A server left at the default (DESTINATIONS_ALLOW_PRIVATE unset) sends
 * nothing to its own network: destination and ping URLs aimed at it are
 * refused when configured, and one stored anyway (here through a server that
 * allows them, as a development setup would) fails at delivery without a
 * byte reaching it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleLead, fundedBuyer, leadWorld, offerContract, type StubEndpoint, startStub, submit } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let guarded: TestServer;
let stub: StubEndpoint;

beforeAll(async () => {
  [server, guarded, stub] = await Promise.all([startServer(), startServer({ destinationsAllowPrivate: false }), startStub()]);
});
afterAll(async () => {
  await Promise.all([server?.close(), guarded?.close(), stub?.close()]);
});

const fieldsOf = (body: any): string[] => body.error.details.flatMap((d: any) => (d.fieldViolations ?? []).map((f: any) => f.field));

describe("destinations inside the server's network", () => {
  it("are refused when configured: a destination URL, a ping URL", async () => {
    const w = await leadWorld(server);
    const buyer = await fundedBuyer(server, w);
    for (const url of [
      "http://127.0.0.1:8080/leads",
      "http://localhost/leads",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/x",
    ]) {
      const res = await guarded.call("POST", `/api/v1/buyers/${buyer.id}/destinations`, {
        key: w.adminKey,
        body: { name: "Inside", url, bodyFormat: "json" },
      });
      expect(res.status, `${url}: ${res.text}`).toBe(400);
      expect(res.body.error.code).toBe("invalid_argument");
      expect(fieldsOf(res.body)).toEqual(["url"]);
      // The refusal names the setting a development server allows it with.
      expect(res.text).toContain("DESTINATIONS_ALLOW_PRIVATE=true");
    }
    const ping = await guarded.call("POST", "/api/v1/contracts", {
      key: w.adminKey,
      body: { name: "Pinged", buyerId: buyer.id, verticalId: w.verticalId, pricing: { model: "ping", pingUrl: "http://10.0.0.7/bid" } },
    });
    expect(ping.status, ping.text).toBe(400);
    expect(fieldsOf(ping.body)).toEqual(["pricing.pingUrl"]);
    expect(ping.text).toContain("DESTINATIONS_ALLOW_PRIVATE=true");
    // A public name passes the configuration check (it is checked again on every connection).
    const outside = await guarded.call("POST", `/api/v1/buyers/${buyer.id}/destinations`, {
      key: w.adminKey,
      body: { name: "Outside", url: "https://crm.example.com/leads", bodyFormat: "json" },
    });
    expect(outside.status, outside.text).toBe(200);
  });

  it("one stored anyway is never reached: the endpoint test and a sale fail and the endpoint receives nothing", async () => {
    const w = await leadWorld(server);
    const buyer = await fundedBuyer(server, w, "100.00", stub.url);
    await offerContract(server, w, buyer.id, { pricing: { model: "fixed", price: "10.00" }, destinationId: buyer.destinationId });

    const test = await guarded.call("POST", `/api/v1/buyers/${buyer.id}/destinations/${buyer.destinationId}:test`, {
      key: w.adminKey,
      body: { sample: { firstName: "Ada" } },
    });
    expect(test.status, test.text).toBe(200);
    expect(test.body.data.outcome).toBe("error");
    expect(test.body.data.reason).toContain("inside the server's network");
    expect(test.body.data.reason).toContain("DESTINATIONS_ALLOW_PRIVATE=true");

    const lead = await submit(guarded, w, exampleLead());
    expect(lead.status, lead.text).toBe(200);
    expect(lead.body.data.status).toBe("unsold");
    // The whole distribution is the admin's to see (a partner's view may leave it out).
    const seen = await guarded.call("GET", `/api/v1/leads/${lead.body.data.id}`, { key: w.adminKey });
    expect(seen.body.data.distribution.map((d: any) => [d.outcome, d.reason])).toEqual([["error", expect.stringContaining("inside")]]);
    expect(seen.body.data.distribution[0].reason).toContain("DESTINATIONS_ALLOW_PRIVATE=true");
    expect(stub.received).toEqual([]);

    // The same lead through a server that allows private destinations is delivered: the guard was the only obstacle.
    const allowed = await submit(server, w, exampleLead({ email: "allowed@example.com" }));
    expect(allowed.body.data.status).toBe("sold");
    expect(stub.received).toHaveLength(1);
  });
});
