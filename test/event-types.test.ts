/**
 * GET /api/v1/event-types and the events behind it: every type of the
 * registry is written by some action, and the data of real events validates
 * against the JSON Schema (2020-12) the endpoint serves for its type.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventTypes } from "../src/events/types.ts";
import { contractFor, keyedBuyer, postLead } from "./support/inbox-fixture.ts";
import { exampleLead, leadWorld, submit } from "./support/lead-fixture.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let gone: Server;
let goneUrl: string;

beforeAll(async () => {
  server = await startServer();
  // A webhook receiver that answers 410 Gone: its endpoint is disabled (webhook.disabled).
  gone = createServer((_req, res) => res.writeHead(410).end());
  await new Promise<void>((r) => gone.listen(0, "127.0.0.1", () => r()));
  goneUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await server?.close();
  await new Promise((r) => gone?.close(r));
});

/** Ajv for the served schemas: 2020-12, with the formats the generator writes (OpenAPI's numeric ones carry no rule). */
function validator(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  for (const f of ["int32", "int64", "uint64", "double", "float", "byte"]) ajv.addFormat(f, true);
  return ajv;
}

describe("GET /api/v1/event-types", () => {
  it("lists every registered type with its description, its data message and a JSON Schema that compiles", async () => {
    const { adminKey } = await server.newTenant();
    const served = await dataOf(server.call("GET", "/api/v1/event-types", { key: adminKey }));
    expect(served.map((t: any) => t.name)).toEqual(eventTypes().map((t) => t.name));
    const ajv = validator();
    for (const t of served) {
      expect(t.description, t.name).not.toBe("");
      expect(t.dataMessage, t.name).toMatch(/^leadrouter\.v1\.[A-Z]\w+$/);
      expect(t.schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(t.schema.$ref).toBe(`#/$defs/${t.dataMessage}`);
      expect(() => ajv.compile(t.schema), t.name).not.toThrow();
    }
    const sold = served.find((t: any) => t.name === "lead.sold");
    expect(sold.dataMessage).toBe("leadrouter.v1.LeadSoldData");
    expect(Object.keys(sold.schema.$defs["leadrouter.v1.LeadSoldData"].properties)).toEqual(
      expect.arrayContaining(["leadId", "buyerId", "contractId", "price", "channel"]),
    );
    // An API key's events never carry its secret: the schema's secret is the empty string there (see docs/events.md).
    expect(served.find((t: any) => t.name === "api_key.created").dataMessage).toBe("leadrouter.v1.ApiKey");
  });

  it("every type is written by some action, and each real event's data validates against its served schema", async () => {
    const w = await leadWorld(server, { offer: { pingDeadlineMs: 300 } });
    const key = w.adminKey;
    const call = (method: string, path: string, body?: unknown) => dataOf(server.call(method, path, { key, body }));
    // What each action writes (besides the lead events of the world's set-up).
    const actions: [string, () => Promise<unknown>][] = [
      ["vertical.updated", () => call("PATCH", `/api/v1/verticals/${w.verticalId}`, { name: "Auto renamed" })],
      [
        "vertical.deleted",
        async () => call("DELETE", `/api/v1/verticals/${(await call("POST", "/api/v1/verticals", { name: "Tmp" })).id}`),
      ],
      ["offer.updated", () => call("PATCH", `/api/v1/offers/${w.offerId}`, { name: "Auto renamed" })],
      [
        "offer.deleted",
        async () =>
          call(
            "DELETE",
            `/api/v1/offers/${(await call("POST", "/api/v1/offers", { name: "Tmp", verticalId: w.verticalId, distribution: { mode: "exclusive", maxSales: 1 }, selection: "waterfall" })).id}`,
          ),
      ],
      ["partner.updated", () => call("PATCH", `/api/v1/partners/${w.partnerId}`, { name: "Summit renamed" })],
      ["partner.deleted", async () => call("DELETE", `/api/v1/partners/${await server.newPartner(key)}`)],
      ["campaign.updated", () => call("PATCH", `/api/v1/campaigns/${w.campaignId}`, { name: "Auto renamed" })],
      [
        "campaign.deleted",
        async () =>
          call("DELETE", `/api/v1/campaigns/${(await call("POST", `/api/v1/campaigns/${w.campaignId}:clone`, { name: "Tmp" })).id}`),
      ],
      [
        "suppression_list.updated",
        async () => {
          const l = await call("POST", "/api/v1/suppressionLists", { name: "DNC", kind: "email" });
          await call("PATCH", `/api/v1/suppressionLists/${l.id}`, { name: "DNC renamed" });
          await call("DELETE", `/api/v1/suppressionLists/${l.id}`);
        },
      ],
      ["api_key.updated", async () => call("POST", `/api/v1/api-keys/${(await server.newKey(key, { role: "admin" })).id}:revoke`, {})],
      [
        "posting_key.updated",
        async () => {
          const k = await call("POST", `/api/v1/campaigns/${w.campaignId}/postingKeys`, { name: "Tmp" });
          await call("POST", `/api/v1/campaigns/${w.campaignId}/postingKeys/${k.id}:revoke`, {});
        },
      ],
      [
        "webhook.updated",
        async () => {
          const h = await call("POST", "/api/v1/webhooks", { url: "http://127.0.0.1:9/none", eventTypes: ["lead.sold"] });
          await call("PATCH", `/api/v1/webhooks/${h.id}`, { description: "renamed" });
          await call("DELETE", `/api/v1/webhooks/${h.id}`);
        },
      ],
      ["buyer.deleted", async () => call("DELETE", `/api/v1/buyers/${(await call("POST", "/api/v1/buyers", { name: "Tmp" })).id}`)],
    ];
    for (const [, act] of actions) await act();

    // The lead path: a buyer with a destination, a contract capped at one lead a day with returns allowed.
    const stub = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"accepted"}'));
    await new Promise<void>((r) => stub.listen(0, "127.0.0.1", () => r()));
    const buyer = await keyedBuyer(server, w, { funds: "100.00", url: `http://127.0.0.1:${(stub.address() as AddressInfo).port}/leads` });
    await call("PATCH", `/api/v1/buyers/${buyer.id}`, { name: "Buyer renamed" });
    const spare = await call("POST", `/api/v1/buyers/${buyer.id}/destinations`, {
      name: "Spare",
      url: "http://127.0.0.1:9/spare",
      bodyFormat: "json",
      acceptPath: "status",
      acceptValues: ["accepted"],
      timeoutMs: 2000,
    });
    await call("PATCH", `/api/v1/buyers/${buyer.id}/destinations/${spare.id}`, { buyerId: buyer.id, name: "Spare renamed" });
    await call("DELETE", `/api/v1/buyers/${buyer.id}/destinations/${spare.id}`);
    const contract = await contractFor(server, w, buyer, {
      caps: [{ period: "daily", limit: "1" }],
      returnPolicy: { windowHours: 72, allowedReasons: ["bad phone"], monthlyReturnCapPercent: 0 },
    });
    await call("PATCH", `/api/v1/contracts/${contract.id}`, { name: "Renamed" });
    await call("DELETE", `/api/v1/contracts/${(await contractFor(server, w, buyer, { name: "Tmp" })).id}?force=true`);
    await dataOf(
      server.call("POST", "/api/v1/leads/ping", {
        key: w.partnerKey,
        body: { campaignId: w.campaignId, postingKey: w.postingKey, state: "TX", zip: "78701" },
      }),
    );
    const lead = await postLead(server, w);
    expect(lead.status).toBe("sold");
    const dup = await submit(server, w, exampleLead({ email: "dup@example.com" }));
    const again = await submit(server, w, exampleLead({ email: "dup@example.com" }));
    expect([dup.status, again.body.data.status]).toEqual([200, "duplicate"]);
    await dataOf(server.call("POST", `/api/v1/leads/${lead.id}:setDisposition`, { key: buyer.key, body: { disposition: "contacted" } }));
    const ret = await dataOf(server.call("POST", `/api/v1/leads/${lead.id}/returns`, { key: buyer.key, body: { reason: "bad phone" } }));
    await call("POST", `/api/v1/returns/${ret.id}:approve`, { note: "ok" });
    await new Promise<void>((r) => stub.close(() => r()));

    // An endpoint that answers 410 is disabled.
    await call("POST", "/api/v1/webhooks", { url: goneUrl, eventTypes: ["lead.created"] });
    await postLead(server, w);

    const all = eventTypes().map((t) => t.name);
    const served = await dataOf(server.call("GET", "/api/v1/event-types", { key }));
    const ajv = validator();
    const validate = new Map(served.map((t: any) => [t.name, ajv.compile(t.schema)]));
    let seen: any[] = [];
    for (let i = 0; i < 100; i++) {
      seen = await dataOf(server.call("GET", "/api/v1/events?pageSize=500", { key }));
      if (seen.some((e) => e.type === "webhook.disabled")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const missing = all.filter((t) => !seen.some((e) => e.type === t));
    expect(missing).toEqual([]);
    const invalid = seen.flatMap((e) => {
      const check = validate.get(e.type) as ((d: unknown) => boolean) & { errors?: unknown };
      return check?.(e.data) ? [] : [`${e.type}: ${JSON.stringify(check?.errors ?? "no schema")}`];
    });
    expect(invalid).toEqual([]);
    for (const [type] of actions) expect(seen.map((e) => e.type)).toContain(type);
    // Secrets never travel in events.
    expect(seen.filter((e) => e.type.startsWith("api_key.") || e.type.startsWith("posting_key.")).every((e) => e.data.secret === "")).toBe(
      true,
    );
    const text = JSON.stringify(seen);
    for (const secret of [w.adminKey, w.partnerKey, w.postingKey, buyer.key]) expect(text).not.toContain(secret);
  });
});
