/**
 * The sandbox buyer: the server's own endpoint that accepts any lead as a
 * buyer would. On a server left at the default (no DESTINATIONS_ALLOW_PRIVATE)
 * a destination may name exactly its URL below the server's public URL, and
 * a lead sold there is delivered; every other URL inside the network is still
 * refused, with a message naming the setting a development server lifts it with.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleLead, fundedBuyer, leadWorld, offerContract, submit } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ destinationsAllowPrivate: false });
});
afterAll(() => server?.close());

const fieldsOf = (body: any): string[] => body.error.details.flatMap((d: any) => (d.fieldViolations ?? []).map((f: any) => f.field));

describe("the sandbox buyer", () => {
  it("accepts any delivery, in any format, as a buyer accepting it; other methods get 405 in the envelope", async () => {
    const sandbox = `${server.url}/sandbox/buyer`;
    for (const [type, body] of [
      ["application/json", JSON.stringify(exampleLead())],
      ["application/x-www-form-urlencoded", "firstName=Alex&state=TX"],
      ["application/xml", "<lead><firstName>Alex</firstName></lead>"],
      ["text/plain", ""],
    ]) {
      const res = await fetch(sandbox, { method: "POST", headers: { "content-type": type }, body });
      expect(res.status, type).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      const answer = await res.json();
      expect(answer).toEqual({ status: "accepted", reference: expect.stringMatching(/^sandbox-[0-9a-f-]{36}$/) });
    }
    const put = await fetch(sandbox, { method: "PUT", body: "{}" });
    expect(put.status).toBe(200);

    const get = await fetch(sandbox);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, PUT");
    expect(get.headers.get("x-request-id")).toBeTruthy();
    expect(((await get.json()) as { error: unknown }).error).toMatchObject({
      code: "method_not_allowed",
      message: expect.stringContaining("GET"),
    });
  });

  it("is a destination without DESTINATIONS_ALLOW_PRIVATE; any other URL inside the network is refused, naming that setting", async () => {
    const w = await leadWorld(server);
    const buyer = await fundedBuyer(server, w);
    const create = (url: string) =>
      server.call("POST", `/api/v1/buyers/${buyer.id}/destinations`, {
        key: w.adminKey,
        body: { name: "Sandbox", url, bodyFormat: "json" },
      });

    const own = await create(`${server.url}/sandbox/buyer`);
    expect(own.status, own.text).toBe(200);
    expect(own.body.data.url).toBe(`${server.url}/sandbox/buyer`);

    const { port } = new URL(server.url);
    for (const url of [
      `${server.url}/sandbox/buyer/`,
      `${server.url}/sandbox/buyer?echo=1`,
      `${server.url}/sandbox`,
      `${server.url}/api/v1/buyers`,
      `http://localhost:${port}/sandbox/buyer`,
      `http://127.0.0.2:${port}/sandbox/buyer`,
      "http://127.0.0.1:1/sandbox/buyer",
      "http://10.0.0.7/sandbox/buyer",
    ]) {
      const res = await create(url);
      expect(res.status, `${url}: ${res.text}`).toBe(400);
      expect(res.body.error.code).toBe("invalid_argument");
      expect(fieldsOf(res.body)).toEqual(["url"]);
      expect(res.text, url).toContain("DESTINATIONS_ALLOW_PRIVATE=true");
    }
  });

  it("takes a lead sold through a contract delivering to it: the sale is delivered and the attempt recorded", async () => {
    const w = await leadWorld(server);
    const buyer = await fundedBuyer(server, w, "100.00", `${server.url}/sandbox/buyer`);
    const contract = await offerContract(server, w, buyer.id, {
      pricing: { model: "fixed", price: "12.00" },
      destinationId: buyer.destinationId,
    });

    const lead = await submit(server, w, exampleLead());
    expect(lead.status, lead.text).toBe(200);
    expect(lead.body.data.status).toBe("sold");
    const got = await server.call("GET", `/api/v1/leads/${lead.body.data.id}`, { key: w.adminKey });
    expect(got.status, got.text).toBe(200);
    expect(got.body.data.sales).toEqual([expect.objectContaining({ buyerId: buyer.id, price: "12.00", deliveryStatus: "delivered" })]);
    expect(got.body.data.deliveries).toEqual([
      expect.objectContaining({
        contractId: contract.id,
        destinationId: buyer.destinationId,
        outcome: "accepted",
        httpStatus: 200,
        responseExcerpt: expect.stringContaining('"status":"accepted"'),
      }),
    ]);
  });
});
