/**
 * PartnerService over REST and gRPC: partners' fields and validation (buyer
 * allow/deny lists, contacts, external references), the standard methods,
 * :pause / :resume, guarded deletion, notes, the payout ledger, the
 * partner's campaigns, and what partner and buyer keys may see.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PartnerService } from "../gen/es/leadrouter/v1/partners_pb.js";
import { expectError } from "./support/errors.ts";
import { bearer, type RestResponse, startServer, type TestServer } from "./support/server.ts";

const PARTNERS = "/api/v1/partners";
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** Asserts a 200 and returns `data`. */
function ok<T = any>(r: RestResponse): T {
  expect(r.status, r.text).toBe(200);
  return r.body.data as T;
}

async function rpcCode(p: Promise<unknown>): Promise<Code | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e).code,
  );
}

const post = (key: string, path: string, body: unknown = {}) => server.call("POST", path, { key, body });
const get = (key: string, path: string) => server.call("GET", path, { key });
const newBuyer = async (key: string, name = "Buyer") => ok(await post(key, "/api/v1/buyers", { name })).id as string;

/** A vertical with one field, and an active campaign of the partner in it. */
async function newCampaign(key: string, partnerId: string, name = "Campaign"): Promise<string> {
  const vertical = ok(await post(key, "/api/v1/verticals", { name: `V ${uuidv7()}`, fields: [{ key: "email", type: "email" }] }));
  return ok(await post(key, "/api/v1/campaigns", { name, partnerId, verticalId: vertical.id })).id;
}

describe("CreatePartner and GetPartner", () => {
  it("creates an active partner with a zero payout balance, contacts, buyer lists and RFC 3339 timestamps", async () => {
    const { adminKey } = await server.newTenant();
    const [b1, b2, b3] = [await newBuyer(adminKey), await newBuyer(adminKey), await newBuyer(adminKey)];
    const body = {
      name: "  Acme Media  ",
      contact: { name: "Pat Partner", email: "pat@acme.example", phone: "+15125551212" },
      contacts: [{ name: "Billing", email: "billing@acme.example" }],
      externalRef: "boberdoo/42",
      tags: ["affiliate"],
      allowedBuyerIds: [b2, b1],
      blockedBuyerIds: [b3],
      payoutBalance: "999.00",
    };
    const p = ok(await post(adminKey, PARTNERS, body));
    expect(p).toEqual({
      id: expect.stringMatching(UUID_V7),
      name: "Acme Media",
      status: "active",
      contact: body.contact,
      contacts: [{ name: "Billing", email: "billing@acme.example", phone: "" }],
      externalRef: "boberdoo/42",
      tags: ["affiliate"],
      allowedBuyerIds: [b2, b1],
      blockedBuyerIds: [b3],
      payoutBalance: "0.00",
      createdAt: expect.stringMatching(RFC3339_UTC),
      updatedAt: expect.stringMatching(RFC3339_UTC),
    });
    expect(ok(await get(adminKey, `${PARTNERS}/${p.id}`))).toEqual(p);
    expect(ok(await get(adminKey, `${PARTNERS}/external/boberdoo/42`))).toEqual(p);
  });

  it("lists every bad field at once: name, contact, contacts[i] and tags", async () => {
    const { adminKey } = await server.newTenant();
    const r = await post(adminKey, PARTNERS, {
      contact: { email: "not-an-email" },
      contacts: [{ name: "ok" }, { phone: "5125551212" }],
      tags: ["bad tag"],
    });
    expectError(r, 400, "invalid_argument", ["name", "contact.email", "contacts[1].phone", "tags[0]"]);
  });

  it("refuses buyer ids that are malformed, missing, another tenant's, repeated, or in both lists, naming each entry", async () => {
    const { adminKey } = await server.newTenant();
    const other = await server.newTenant();
    const mine = await newBuyer(adminKey);
    const theirs = await newBuyer(other.adminKey);
    const r = await post(adminKey, PARTNERS, {
      name: "P",
      allowedBuyerIds: [mine, uuidv7(), theirs, "nope", mine],
      blockedBuyerIds: [mine],
    });
    expectError(r, 400, "invalid_argument", [
      "allowedBuyerIds[3]",
      "allowedBuyerIds[4]",
      "blockedBuyerIds[0]",
      "allowedBuyerIds[1]",
      "allowedBuyerIds[2]",
    ]);
    expect(ok(await get(adminKey, PARTNERS))).toEqual([]);
  });

  it("refuses a second live partner with the same external reference with already_exists naming externalRef", async () => {
    const { adminKey } = await server.newTenant();
    await server.newPartner(adminKey, { externalRef: "ref-1" });
    expectError(await post(adminKey, PARTNERS, { name: "Dup", externalRef: "ref-1" }), 409, "already_exists", ["externalRef"]);
  });

  it("another tenant's partner is not_found, and malformed ids are invalid_argument naming id", async () => {
    const a = await server.newTenant();
    const b = await server.newTenant();
    const id = await server.newPartner(a.adminKey);
    expectError(await get(b.adminKey, `${PARTNERS}/${id}`), 404, "not_found");
    expectError(await get(a.adminKey, `${PARTNERS}/nope`), 400, "invalid_argument", ["id"]);
  });
});

describe("ListPartners and BatchGetPartners", () => {
  it("filters by status and tags, sorts by name and pages with tokens", async () => {
    const { adminKey } = await server.newTenant();
    const c = await server.newPartner(adminKey, { name: "Charlie", tags: ["gold"] });
    const a = await server.newPartner(adminKey, { name: "Alpha", tags: ["gold"] });
    const b = await server.newPartner(adminKey, { name: "Bravo" });
    ok(await post(adminKey, `${PARTNERS}/${b}:pause`));
    const first = await get(adminKey, `${PARTNERS}?orderBy=name&pageSize=2`);
    expect(ok(first).map((p: { id: string }) => p.id)).toEqual([a, b]);
    const second = await get(adminKey, `${PARTNERS}?orderBy=name&pageSize=2&pageToken=${first.body.pagination.nextPageToken}`);
    expect(ok(second).map((p: { id: string }) => p.id)).toEqual([c]);
    expect(second.body.pagination.nextPageToken).toBe("");
    expect(ok(await get(adminKey, `${PARTNERS}?status=paused`)).map((p: { id: string }) => p.id)).toEqual([b]);
    expect(ok(await get(adminKey, `${PARTNERS}?tags=gold&orderBy=name`)).map((p: { id: string }) => p.id)).toEqual([a, c]);
  });

  it("batch-gets in the order asked and fails with not_found when one is missing", async () => {
    const { adminKey } = await server.newTenant();
    const a = await server.newPartner(adminKey);
    const b = await server.newPartner(adminKey);
    expect(ok(await get(adminKey, `${PARTNERS}:batchGet?ids=${b}&ids=${a}`)).map((p: { id: string }) => p.id)).toEqual([b, a]);
    expectError(await get(adminKey, `${PARTNERS}:batchGet?ids=${a}&ids=${uuidv7()}`), 404, "not_found");
  });
});

describe("UpdatePartner, :pause and :resume", () => {
  it("changes only masked fields, replaces buyer lists whole and ignores the output-only balance", async () => {
    const { adminKey } = await server.newTenant();
    const [b1, b2] = [await newBuyer(adminKey), await newBuyer(adminKey)];
    const id = await server.newPartner(adminKey, { name: "Old", tags: ["x"], allowedBuyerIds: [b1] });
    const masked = await server.call("PATCH", `${PARTNERS}/${id}?updateMask=name,blockedBuyerIds`, {
      key: adminKey,
      body: { name: "New", tags: ["ignored"], blockedBuyerIds: [b2], payoutBalance: "5.00" },
    });
    expect(ok(masked)).toMatchObject({ name: "New", tags: ["x"], allowedBuyerIds: [b1], blockedBuyerIds: [b2], payoutBalance: "0.00" });
    const implicit = await server.call("PATCH", `${PARTNERS}/${id}`, { key: adminKey, body: { allowedBuyerIds: [] } });
    expect(ok(implicit)).toMatchObject({ name: "New", allowedBuyerIds: [], blockedBuyerIds: [b2] });
  });

  it("refuses a blocked buyer that is already allowed, naming blockedBuyerIds[i]", async () => {
    const { adminKey } = await server.newTenant();
    const b1 = await newBuyer(adminKey);
    const id = await server.newPartner(adminKey, { allowedBuyerIds: [b1] });
    const r = await server.call("PATCH", `${PARTNERS}/${id}`, { key: adminKey, body: { blockedBuyerIds: [b1] } });
    expectError(r, 400, "invalid_argument", ["blockedBuyerIds[0]"]);
  });

  it("pauses and resumes a partner", async () => {
    const { adminKey } = await server.newTenant();
    const id = await server.newPartner(adminKey);
    expect(ok(await post(adminKey, `${PARTNERS}/${id}:pause`)).status).toBe("paused");
    expect(ok(await post(adminKey, `${PARTNERS}/${id}:resume`)).status).toBe("active");
  });
});

describe("DeletePartner", () => {
  it("is refused while the partner has campaigns; force pauses them, deletes the partner and revokes its API keys", async () => {
    const { adminKey } = await server.newTenant();
    const id = await server.newPartner(adminKey);
    const campaignId = await newCampaign(adminKey, id);
    const key = await server.newKey(adminKey, { role: "partner", partnerId: id });
    expectError(await server.call("DELETE", `${PARTNERS}/${id}`, { key: adminKey }), 400, "failed_precondition");
    expect(ok(await get(adminKey, `/api/v1/campaigns/${campaignId}`)).status).toBe("active");

    const deleted = await server.call("DELETE", `${PARTNERS}/${id}?force=true`, { key: adminKey });
    expect(ok(deleted).id).toBe(id);
    expectError(await get(adminKey, `${PARTNERS}/${id}`), 404, "not_found");
    expect(ok(await get(adminKey, `/api/v1/campaigns/${campaignId}`)).status).toBe("paused");
    expect((await get(key.secret, `/api/v1/campaigns/${campaignId}`)).status).toBe(401);
    expectError(await post(adminKey, `/api/v1/campaigns/${campaignId}:resume`), 400, "failed_precondition");
  });

  it("deletes a partner without campaigns at once", async () => {
    const { adminKey } = await server.newTenant();
    const id = await server.newPartner(adminKey);
    expect(ok(await server.call("DELETE", `${PARTNERS}/${id}`, { key: adminKey })).id).toBe(id);
    expectError(await server.call("DELETE", `${PARTNERS}/${id}`, { key: adminKey }), 404, "not_found");
  });
});

describe("partner notes", () => {
  it("adds notes with their author key, lists them newest first and deletes one", async () => {
    const { adminKey } = await server.newTenant();
    const id = await server.newPartner(adminKey);
    const first = ok(await post(adminKey, `${PARTNERS}/${id}/notes`, { body: "Signed the IO" }));
    const second = ok(await post(adminKey, `${PARTNERS}/${id}/notes`, { body: "Asked for net-15" }));
    expect(first).toMatchObject({ partnerId: id, body: "Signed the IO", authorKeyId: expect.stringMatching(UUID_V7) });
    const list = await get(adminKey, `${PARTNERS}/${id}/notes`);
    expect(ok(list).map((n: { id: string }) => n.id)).toEqual([second.id, first.id]);
    expect(ok(await server.call("DELETE", `${PARTNERS}/${id}/notes/${first.id}`, { key: adminKey })).id).toBe(first.id);
    expect(ok(await get(adminKey, `${PARTNERS}/${id}/notes`)).map((n: { id: string }) => n.id)).toEqual([second.id]);
  });

  it("requires a body, and a note is not_found under another partner", async () => {
    const { adminKey } = await server.newTenant();
    const a = await server.newPartner(adminKey);
    const b = await server.newPartner(adminKey);
    expectError(await post(adminKey, `${PARTNERS}/${a}/notes`, { body: "  " }), 400, "invalid_argument", ["body"]);
    const note = ok(await post(adminKey, `${PARTNERS}/${a}/notes`, { body: "x" }));
    expectError(await server.call("DELETE", `${PARTNERS}/${b}/notes/${note.id}`, { key: adminKey }), 404, "not_found");
  });
});

describe("payout ledger", () => {
  it("adjustments raise the balance, payouts lower it, and the ledger lists each with its balance, newest first", async () => {
    const { adminKey } = await server.newTenant();
    const id = await server.newPartner(adminKey);
    const credit = ok(await post(adminKey, `${PARTNERS}/${id}:adjust`, { amount: "100.50", memo: "March bonus" }));
    expect(credit).toMatchObject({ kind: "adjustment", amount: "100.50", balanceAfter: "100.50", memo: "March bonus" });
    const paid = ok(await post(adminKey, `${PARTNERS}/${id}:recordPayout`, { amount: "30", memo: "March", reference: "ACH-1" }));
    expect(paid).toMatchObject({ partnerId: id, kind: "payout", amount: "-30.00", balanceAfter: "70.50", reference: "ACH-1" });
    expect(ok(await get(adminKey, `${PARTNERS}/${id}`)).payoutBalance).toBe("70.50");
    const ledger = ok(await get(adminKey, `${PARTNERS}/${id}/payouts`));
    expect(ledger.map((e: { id: string }) => e.id)).toEqual([paid.id, credit.id]);
    expect(ok(await get(adminKey, `${PARTNERS}/${id}/payouts?kind=payout`)).map((e: { id: string }) => e.id)).toEqual([paid.id]);
  });

  it("refuses a payout above the balance with failed_precondition and writes nothing", async () => {
    const { adminKey } = await server.newTenant();
    const id = await server.newPartner(adminKey);
    ok(await post(adminKey, `${PARTNERS}/${id}:adjust`, { amount: "10.00", memo: "credit" }));
    expectError(await post(adminKey, `${PARTNERS}/${id}:recordPayout`, { amount: "10.01" }), 400, "failed_precondition");
    expect(ok(await get(adminKey, `${PARTNERS}/${id}`)).payoutBalance).toBe("10.00");
    expect(ok(await get(adminKey, `${PARTNERS}/${id}/payouts`))).toHaveLength(1);
  });

  it("concurrent payouts never overdraw: 10 payouts of 30.00 against 100.00 pay exactly 3", async () => {
    const { adminKey } = await server.newTenant();
    const id = await server.newPartner(adminKey);
    ok(await post(adminKey, `${PARTNERS}/${id}:adjust`, { amount: "100.00", memo: "credit" }));
    const results = await Promise.all(
      Array.from({ length: 10 }, () => post(adminKey, `${PARTNERS}/${id}:recordPayout`, { amount: "30.00" })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    expect(results.filter((r) => r.status !== 200).every((r) => r.body.error.code === "failed_precondition")).toBe(true);
    expect(ok(await get(adminKey, `${PARTNERS}/${id}`)).payoutBalance).toBe("10.00");
  });

  it("refuses amounts that are not positive two-place decimals, zero adjustments and adjustments without a memo", async () => {
    const { adminKey } = await server.newTenant();
    const id = await server.newPartner(adminKey);
    for (const amount of ["12.345", "-5.00", "abc", "", "0", "1e3"]) {
      expectError(await post(adminKey, `${PARTNERS}/${id}:recordPayout`, { amount }), 400, "invalid_argument", ["amount"]);
    }
    expectError(await post(adminKey, `${PARTNERS}/${id}:adjust`, { amount: "0.00", memo: "x" }), 400, "invalid_argument", ["amount"]);
    expectError(await post(adminKey, `${PARTNERS}/${id}:adjust`, { amount: "-5.00" }), 400, "invalid_argument", ["memo"]);
    expect(ok(await post(adminKey, `${PARTNERS}/${id}:adjust`, { amount: "-5.00", memo: "clawback" })).balanceAfter).toBe("-5.00");
  });
});

describe("ListPartnerCampaigns", () => {
  it("lists the partner's campaigns only, filtered by status", async () => {
    const { adminKey } = await server.newTenant();
    const a = await server.newPartner(adminKey);
    const b = await server.newPartner(adminKey);
    const c1 = await newCampaign(adminKey, a, "one");
    const c2 = await newCampaign(adminKey, a, "two");
    await newCampaign(adminKey, b);
    ok(await post(adminKey, `/api/v1/campaigns/${c1}:pause`));
    expect(ok(await get(adminKey, `${PARTNERS}/${a}/campaigns?orderBy=name`)).map((c: { id: string }) => c.id)).toEqual([c1, c2]);
    expect(ok(await get(adminKey, `${PARTNERS}/${a}/campaigns?status=paused`)).map((c: { id: string }) => c.id)).toEqual([c1]);
    expectError(await get(adminKey, `${PARTNERS}/${uuidv7()}/campaigns`), 404, "not_found");
  });
});

describe("roles", () => {
  it("a partner key reads its own partner, payouts and campaigns; another partner is not_found; admin methods are denied", async () => {
    const { adminKey } = await server.newTenant();
    const own = await server.newPartner(adminKey, { name: "Own" });
    const other = await server.newPartner(adminKey, { name: "Other" });
    const campaign = await newCampaign(adminKey, own);
    await newCampaign(adminKey, other);
    ok(await post(adminKey, `${PARTNERS}/${own}:adjust`, { amount: "12.00", memo: "credit" }));
    const key = (await server.newKey(adminKey, { role: "partner", partnerId: own })).secret;

    expect(ok(await get(key, `${PARTNERS}/${own}`)).payoutBalance).toBe("12.00");
    expectError(await get(key, `${PARTNERS}/${other}`), 404, "not_found");
    expect(ok(await get(key, `${PARTNERS}/${own}/payouts`))).toHaveLength(1);
    expectError(await get(key, `${PARTNERS}/${other}/payouts`), 404, "not_found");
    expect(ok(await get(key, `${PARTNERS}/${own}/campaigns`)).map((c: { id: string }) => c.id)).toEqual([campaign]);
    expectError(await get(key, `${PARTNERS}/${other}/campaigns`), 404, "not_found");
    expectError(await get(key, PARTNERS), 403, "permission_denied");
    expectError(await post(key, PARTNERS, { name: "Mine now" }), 403, "permission_denied");
    expectError(await server.call("PATCH", `${PARTNERS}/${own}`, { key, body: { name: "Renamed" } }), 403, "permission_denied");
    expectError(await post(key, `${PARTNERS}/${own}/notes`, { body: "hi" }), 403, "permission_denied");
    expectError(await post(key, `${PARTNERS}/${own}:recordPayout`, { amount: "1.00" }), 403, "permission_denied");

    const client = server.client(PartnerService, "grpc");
    expect((await client.getPartner({ id: own }, bearer(key))).data?.name).toBe("Own");
    expect(await rpcCode(client.getPartner({ id: other }, bearer(key)))).toBe(Code.NotFound);
    expect((await client.listPartnerPayouts({ partnerId: own }, bearer(key))).data).toHaveLength(1);
    expect(await rpcCode(client.listPartners({}, bearer(key)))).toBe(Code.PermissionDenied);
    expect(await rpcCode(client.createPartner({ partner: { name: "x" } }, bearer(key)))).toBe(Code.PermissionDenied);
    expect(await rpcCode(client.updatePartner({ partner: { id: own, name: "x" } }, bearer(key)))).toBe(Code.PermissionDenied);
  });

  it("a buyer key gets permission_denied on every partner method, over REST and gRPC", async () => {
    const { adminKey } = await server.newTenant();
    const id = await server.newPartner(adminKey);
    const key = (await server.newKey(adminKey, { role: "buyer", buyerId: await newBuyer(adminKey) })).secret;
    for (const path of [
      PARTNERS,
      `${PARTNERS}/${id}`,
      `${PARTNERS}/${id}/payouts`,
      `${PARTNERS}/${id}/campaigns`,
      `${PARTNERS}/${id}/notes`,
    ]) {
      expectError(await get(key, path), 403, "permission_denied");
    }
    const client = server.client(PartnerService, "grpc");
    expect(await rpcCode(client.getPartner({ id }, bearer(key)))).toBe(Code.PermissionDenied);
    expect(await rpcCode(client.listPartnerPayouts({ partnerId: id }, bearer(key)))).toBe(Code.PermissionDenied);
    expect(await rpcCode(client.listPartners({}, bearer(key)))).toBe(Code.PermissionDenied);
  });

  it("an admin over gRPC gets the same partner as over REST", async () => {
    const { adminKey } = await server.newTenant();
    const created = await server
      .client(PartnerService, "grpc")
      .createPartner({ partner: { name: "Over gRPC", tags: ["g"] } }, bearer(adminKey));
    expect(created.data?.payoutBalance).toBe("0.00");
    expect(ok(await get(adminKey, `${PARTNERS}/${created.data?.id}`))).toMatchObject({ name: "Over gRPC", tags: ["g"] });
  });
});
