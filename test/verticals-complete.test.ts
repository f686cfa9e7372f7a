/**
 * VerticalService, complete: built-in templates and verticals made from
 * them, lead validation without storing, unknown field types, and delete
 * guarded by the offers, contracts and campaigns that use a vertical.
 */
import pg from "pg";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type RestResponse, startServer, type TestServer } from "./support/server.ts";

const VERTICALS = "/api/v1/verticals";
const TEMPLATES = "/api/v1/verticalTemplates";

let server: TestServer;
let owner: pg.Client;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await server.close();
});

/** The fields named by the error's google.rpc.BadRequest detail, in order. */
function violatedFields(r: RestResponse): string[] {
  const details = (r.body?.error?.details ?? []) as { fieldViolations?: { field: string }[] }[];
  return details.flatMap((d) => (d.fieldViolations ?? []).map((v) => v.field));
}

/** Asserts an error's status, code and (when given) the fields it names. */
function expectError(r: RestResponse, status: number, code: string, fields?: string[]): void {
  expect(r.status, r.text).toBe(status);
  expect(r.body.error.code).toBe(code);
  if (fields) expect(violatedFields(r)).toEqual(fields);
}

/** A successful call's `data`. */
async function ok(method: string, path: string, key: string, body?: unknown): Promise<any> {
  const r = await server.call(method, path, { key, body });
  expect(r.status, r.text).toBe(200);
  return r.body.data;
}

type FieldJson = { key: string; type: string; pii: boolean; required: boolean; allowedValues: string[] };
const byKey = (fields: FieldJson[]) => new Map(fields.map((f) => [f.key, f]));

describe("vertical templates", () => {
  it("lists the seven built-in templates, each with a realistic schema", async () => {
    const { adminKey } = await server.newTenant();
    const r = await server.call("GET", TEMPLATES, { key: adminKey });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.map((t: { name: string }) => t.name)).toEqual([
      "auto_insurance",
      "home_insurance",
      "solar",
      "mortgage",
      "debt",
      "legal",
      "contact",
    ]);
    expect(r.body.pagination).toEqual({ nextPageToken: "", pageSize: 7 });
    const auto = byKey(r.body.data[0].fields);
    const expected: Record<string, string> = {
      firstName: "string",
      lastName: "string",
      email: "email",
      phone: "phone",
      address: "string",
      city: "string",
      state: "state",
      zip: "zip",
      dateOfBirth: "date",
      gender: "enum",
      maritalStatus: "enum",
      creditRating: "enum",
      homeowner: "boolean",
      currentlyInsured: "boolean",
      currentInsurer: "string",
      insuredMonths: "integer",
      vehicleYear: "integer",
      vehicleMake: "string",
      vehicleModel: "string",
      annualMileage: "integer",
      accidents: "integer",
    };
    for (const [key, type] of Object.entries(expected)) expect(auto.get(key)?.type, key).toBe(type);
    const pii = [...auto.values()].filter((f) => f.pii).map((f) => f.key);
    expect(pii).toEqual(expect.arrayContaining(["firstName", "lastName", "email", "phone", "address", "dateOfBirth"]));
    expect(pii).not.toContain("vehicleYear");
    expect(auto.get("gender")?.allowedValues.length).toBeGreaterThan(1);
  });

  it("gets one template by name; an unknown name is not_found", async () => {
    const { adminKey } = await server.newTenant();
    const solar = await ok("GET", `${TEMPLATES}/solar`, adminKey);
    expect(solar).toMatchObject({ name: "solar", displayName: "Solar", slug: "solar" });
    expect(byKey(solar.fields).get("monthlyElectricBill")?.type).toBe("decimal");
    expectError(await server.call("GET", `${TEMPLATES}/crypto`, { key: adminKey }), 404, "not_found");
  });
});

describe("CreateVerticalFromTemplate", () => {
  it("creates a vertical with the template's name, slug and fields by default", async () => {
    const { adminKey } = await server.newTenant();
    const template = await ok("GET", `${TEMPLATES}/mortgage`, adminKey);
    const v = await ok("POST", `${VERTICALS}:fromTemplate`, adminKey, { template: "mortgage" });
    expect(v).toMatchObject({ name: "Mortgage", slug: "mortgage", status: "active", fields: template.fields });
    expect(await ok("GET", `${VERTICALS}/${v.id}`, adminKey)).toEqual(v);
    // The same template again collides on the slug.
    expectError(
      await server.call("POST", `${VERTICALS}:fromTemplate`, { key: adminKey, body: { template: "mortgage" } }),
      409,
      "already_exists",
      ["slug"],
    );
  });

  it("takes a name (slug derived from it), tags, and fields that replace or extend the template's", async () => {
    const { adminKey } = await server.newTenant();
    const v = await ok("POST", `${VERTICALS}:fromTemplate`, adminKey, {
      template: "solar",
      name: "Solar Texas",
      tags: ["tx"],
      fields: [
        { key: "state", type: "state", required: true, pattern: "", label: "State (TX only)" },
        { key: "hoa", type: "boolean", label: "In an HOA" },
      ],
    });
    expect(v).toMatchObject({ name: "Solar Texas", slug: "solar-texas", tags: ["tx"] });
    const keys = v.fields.map((f: FieldJson) => f.key);
    expect(keys.at(-1)).toBe("hoa");
    expect(keys.filter((k: string) => k === "state")).toHaveLength(1);
    expect(byKey(v.fields).get("state")).toMatchObject({ label: "State (TX only)" });
    expect(keys.indexOf("state")).toBe(6);
  });

  it("an unknown template, and override fields of an unknown type or bad key, are invalid_argument naming them", async () => {
    const { adminKey } = await server.newTenant();
    const r = await server.call("POST", `${VERTICALS}:fromTemplate`, {
      key: adminKey,
      body: {
        template: "crypto",
        fields: [
          { key: "odd", type: 99 },
          { key: "Bad_Key", type: "string" },
        ],
      },
    });
    expectError(r, 400, "invalid_argument", ["template", "fields[0].type", "fields[1].key"]);
    expect(r.body.error.details[0].fieldViolations[1].description).toBe("is not a known field type");
    expectError(await server.call("POST", `${VERTICALS}:fromTemplate`, { key: adminKey, body: {} }), 400, "invalid_argument", ["template"]);
    expect((await ok("GET", VERTICALS, adminKey)).length).toBe(0);
  });
});

describe("a lead field of an unknown type", () => {
  it('CreateVerticalField with type 99 or type "bogus" is invalid_argument naming type', async () => {
    const { adminKey } = await server.newTenant();
    const v = await ok("POST", VERTICALS, adminKey, { name: "Typed" });
    const numeric = await server.call("POST", `${VERTICALS}/${v.id}/fields`, { key: adminKey, body: { key: "odd", type: 99 } });
    expectError(numeric, 400, "invalid_argument", ["type"]);
    const named = await server.call("POST", `${VERTICALS}/${v.id}/fields`, { key: adminKey, body: { key: "odd", type: "bogus" } });
    expectError(named, 400, "invalid_argument", ["type"]);
    expect((await ok("GET", `${VERTICALS}/${v.id}`, adminKey)).fields).toEqual([]);
  });
});

describe("ValidateVerticalLead", () => {
  let adminKey: string;
  let id: string;
  beforeAll(async () => {
    adminKey = (await server.newTenant()).adminKey;
    id = (await ok("POST", `${VERTICALS}:fromTemplate`, adminKey, { template: "auto_insurance" })).id;
  });
  const validate = (lead: unknown) => server.call("POST", `${VERTICALS}/${id}:validateLead`, { key: adminKey, body: { lead } });

  it("a good lead in everyday spellings is valid and comes back normalised", async () => {
    const r = await validate({
      firstName: " Ada ",
      lastName: "Lovelace",
      email: "Ada@Example.com",
      phone: "(512) 555-1212",
      state: "tx",
      zip: "78701",
      dateOfBirth: "1990-02-28",
      gender: "Female",
      homeowner: "yes",
      currentlyInsured: "0",
      vehicleYear: "2019",
      vehicleMake: "Toyota",
      vehicleModel: "Camry",
      annualMileage: 12000,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toEqual({
      valid: true,
      violations: [],
      normalized: {
        firstName: "Ada",
        lastName: "Lovelace",
        email: "ada@example.com",
        phone: "+15125551212",
        state: "TX",
        zip: "78701",
        dateOfBirth: "1990-02-28",
        gender: "female",
        homeowner: true,
        currentlyInsured: false,
        vehicleYear: 2019,
        vehicleMake: "Toyota",
        vehicleModel: "Camry",
        annualMileage: 12000,
      },
    });
  });

  it("a bad lead lists every problem: required, formats, enums, calendar dates and unknown fields", async () => {
    const r = await validate({
      firstName: "Ada",
      email: "not-an-email",
      phone: "555-1212",
      state: "ZZ",
      zip: "787",
      dateOfBirth: "1990-02-30",
      gender: "robot",
      currentlyInsured: "maybe",
      vehicleYear: "twenty",
      vehicleMake: "Ford",
      vehicleModel: "F-150",
      favouriteColour: "blue",
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.valid).toBe(false);
    expect(r.body.data.violations.map((v: { field: string }) => v.field)).toEqual([
      "lastName",
      "email",
      "phone",
      "state",
      "zip",
      "dateOfBirth",
      "gender",
      "currentlyInsured",
      "vehicleYear",
      "favouriteColour",
    ]);
    expect(r.body.data.normalized).toEqual({ firstName: "Ada", vehicleMake: "Ford", vehicleModel: "F-150" });
  });

  it("requires a lead; an unknown vertical is not_found", async () => {
    expectError(await server.call("POST", `${VERTICALS}/${id}:validateLead`, { key: adminKey, body: {} }), 400, "invalid_argument", [
      "lead",
    ]);
    const missing = await server.call("POST", `${VERTICALS}/${uuidv7()}:validateLead`, { key: adminKey, body: { lead: {} } });
    expectError(missing, 404, "not_found");
  });
});

describe("DeleteVertical with dependents", () => {
  /** An offer, a contract and a campaign in the vertical, written as the owner. */
  async function dependents(tenantId: string, adminKey: string, verticalId: string) {
    const buyer = await ok("POST", "/api/v1/buyers", adminKey, { name: "B" });
    const [offer, contract, campaign, partner] = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
    await owner.query("INSERT INTO offers (id, tenant_id, vertical_id, name) VALUES ($1, $2, $3, 'o')", [offer, tenantId, verticalId]);
    await owner.query("INSERT INTO contracts (id, tenant_id, buyer_id, vertical_id, name) VALUES ($1, $2, $3, $4, 'c')", [
      contract,
      tenantId,
      buyer.id,
      verticalId,
    ]);
    await owner.query("INSERT INTO partners (id, tenant_id, name) VALUES ($1, $2, 'p')", [partner, tenantId]);
    await owner.query("INSERT INTO campaigns (id, tenant_id, partner_id, vertical_id, name) VALUES ($1, $2, $3, $4, 'k')", [
      campaign,
      tenantId,
      partner,
      verticalId,
    ]);
    return { offer, contract, campaign };
  }
  const statusOf = async (table: string, id: string) =>
    (await owner.query(`SELECT status FROM ${pg.escapeIdentifier(table)} WHERE id = $1`, [id])).rows[0].status as string;

  it("is refused while offers, contracts or campaigns use the vertical; nothing changes", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const v = await ok("POST", VERTICALS, adminKey, { name: "Busy" });
    const d = await dependents(tenantId, adminKey, v.id);
    const r = await server.call("DELETE", `${VERTICALS}/${v.id}`, { key: adminKey });
    expectError(r, 400, "failed_precondition");
    expect(r.body.error.message).toMatch(/1 offer, 1 contract, 1 campaign/);
    expect([await statusOf("offers", d.offer), await statusOf("contracts", d.contract), await statusOf("campaigns", d.campaign)]).toEqual([
      "active",
      "active",
      "active",
    ]);
    expect((await ok("GET", `${VERTICALS}/${v.id}`, adminKey)).id).toBe(v.id);
  });

  it("force=true pauses offers and campaigns, ends contracts and deletes the vertical, returned as it was", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const v = await ok("POST", VERTICALS, adminKey, { name: "Closing" });
    const d = await dependents(tenantId, adminKey, v.id);
    expect(await ok("DELETE", `${VERTICALS}/${v.id}?force=true`, adminKey)).toEqual(v);
    expect([await statusOf("offers", d.offer), await statusOf("contracts", d.contract), await statusOf("campaigns", d.campaign)]).toEqual([
      "paused",
      "ended",
      "paused",
    ]);
    expectError(await server.call("GET", `${VERTICALS}/${v.id}`, { key: adminKey }), 404, "not_found");
  });

  it("ended contracts and deleted offers and campaigns do not hold a vertical", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const v = await ok("POST", VERTICALS, adminKey, { name: "Done" });
    const d = await dependents(tenantId, adminKey, v.id);
    await owner.query("UPDATE contracts SET status = 'ended' WHERE id = $1", [d.contract]);
    await owner.query("UPDATE offers SET deleted_at = now() WHERE id = $1", [d.offer]);
    await owner.query("UPDATE campaigns SET deleted_at = now() WHERE id = $1", [d.campaign]);
    expect((await ok("DELETE", `${VERTICALS}/${v.id}`, adminKey)).id).toBe(v.id);
  });
});
