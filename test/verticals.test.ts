/**
 * VerticalService over REST: verticals and their lead-field schema, the
 * fields sub-resource, and the JSON Schema document partners validate with.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "./support/errors.ts";
import { startServer, type TestServer } from "./support/server.ts";

/** A lead field as REST returns it. */
interface FieldJson {
  key: string;
  label: string;
  type: string;
  required: boolean;
  pii: boolean;
  allowedValues: string[];
  pattern: string;
  description: string;
}

/** A vertical as REST returns it. */
interface VerticalJson {
  id: string;
  name: string;
  slug: string;
  description: string;
  status: string;
  fields: FieldJson[];
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

const VERTICALS = "/api/v1/verticals";
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const US_STATES =
  "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR".split(
    " ",
  );

/** One field of every type, as a client would post them. */
const everyType = [
  { key: "firstName", label: "First name", type: "string", required: true, pii: true, pattern: "^[A-Za-z' -]+$" },
  { key: "email", type: "email", required: true, pii: true },
  { key: "phone", type: "phone", pii: true },
  { key: "zip", type: "zip", required: true, pattern: "^7" },
  { key: "state", type: "state" },
  { key: "coverage", label: "Coverage", type: "enum", allowedValues: ["basic", "full"], required: true },
  { key: "vehicles", type: "integer" },
  { key: "premium", type: "decimal" },
  { key: "homeowner", type: "boolean" },
  { key: "birthDate", type: "date", description: "Date of birth" },
];

/** A field as REST returns it: every attribute present, defaults filled in. */
const full = (f: Partial<FieldJson> & { key: string; type: string }): FieldJson => ({
  label: "",
  required: false,
  pii: false,
  allowedValues: [],
  pattern: "",
  description: "",
  ...f,
});

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createVertical(key: string, body: Record<string, unknown>): Promise<VerticalJson> {
  const r = await server.call<{ data: VerticalJson }>("POST", VERTICALS, { key, body });
  expect(r.status, r.text).toBe(200);
  await sleep(3); // creation times differ, so default ordering is deterministic
  return r.body.data;
}

async function getVertical(key: string, id: string): Promise<VerticalJson> {
  const r = await server.call<{ data: VerticalJson }>("GET", `${VERTICALS}/${id}`, { key });
  expect(r.status, r.text).toBe(200);
  return r.body.data;
}

async function list(
  key: string,
  query: string,
): Promise<{ data: VerticalJson[]; pagination: { nextPageToken: string; pageSize: number } }> {
  const r = await server.call("GET", `${VERTICALS}?${query}`, { key });
  expect(r.status, r.text).toBe(200);
  return r.body;
}

const ids = (vs: { id: string }[]) => vs.map((v) => v.id);
const keys = (fs: { key: string }[]) => fs.map((f) => f.key);
const fieldsPath = (verticalId: string, key?: string) => `${VERTICALS}/${verticalId}/fields${key === undefined ? "" : `/${key}`}`;

describe("CreateVertical", () => {
  it("creates an active vertical with fields of every type, returned in order with defaults filled in", async () => {
    const { adminKey } = await server.newTenant();
    const r = await server.call("POST", VERTICALS, {
      key: adminKey,
      body: { name: "Auto Insurance", description: "Car cover leads", tags: ["insurance"], fields: everyType },
    });
    expect(r.status, r.text).toBe(200);
    const v = r.body.data as VerticalJson;
    expect(v).toEqual({
      id: expect.stringMatching(UUID_V7),
      name: "Auto Insurance",
      slug: "auto-insurance",
      description: "Car cover leads",
      status: "active",
      fields: everyType.map(full),
      tags: ["insurance"],
      createdAt: expect.stringMatching(RFC3339_UTC),
      updatedAt: expect.stringMatching(RFC3339_UTC),
    });
    expect(v.updatedAt).toBe(v.createdAt);
    expect(await getVertical(adminKey, v.id)).toEqual(v);
  });

  it("derives the slug from the name when omitted and keeps an explicit one", async () => {
    const { adminKey } = await server.newTenant();
    expect((await createVertical(adminKey, { name: "Auto Insurance" })).slug).toBe("auto-insurance");
    expect((await createVertical(adminKey, { name: "  Solar Panels (US) " })).slug).toBe("solar-panels-us");
    expect((await createVertical(adminKey, { name: "Mortgage", slug: "home-loans" })).slug).toBe("home-loans");
    const v = await createVertical(adminKey, { name: "No fields" });
    expect(v.fields).toEqual([]);
  });

  it("a name with nothing to derive a slug from, or a malformed slug, is invalid_argument naming slug", async () => {
    const { adminKey } = await server.newTenant();
    expectError(await server.call("POST", VERTICALS, { key: adminKey, body: { name: "!!!" } }), 400, "invalid_argument", ["slug"]);
    expectError(
      await server.call("POST", VERTICALS, { key: adminKey, body: { name: "Ok", slug: "Not A Slug" } }),
      400,
      "invalid_argument",
      ["slug"],
    );
    expectError(await server.call("POST", VERTICALS, { key: adminKey, body: {} }), 400, "invalid_argument", ["name"]);
  });

  it("a duplicate slug in the same tenant is already_exists naming slug; another tenant may use it", async () => {
    const a = await server.newTenant();
    const b = await server.newTenant();
    await createVertical(a.adminKey, { name: "Auto Insurance" });
    const dup = await server.call("POST", VERTICALS, { key: a.adminKey, body: { name: "Auto insurance" } });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({
      error: {
        code: "already_exists",
        message: "a vertical with this slug already exists",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "slug", description: "a vertical with this slug already exists" }],
          },
        ],
      },
    });
    expectError(
      await server.call("POST", VERTICALS, { key: a.adminKey, body: { name: "Other", slug: "auto-insurance" } }),
      409,
      "already_exists",
      ["slug"],
    );
    expect((await createVertical(b.adminKey, { name: "Auto Insurance" })).slug).toBe("auto-insurance");
  });

  it("lists every bad field at once, by position in the schema", async () => {
    const { adminKey } = await server.newTenant();
    const r = await server.call("POST", VERTICALS, {
      key: adminKey,
      body: {
        name: "Bad",
        fields: [
          { key: "ok", type: "string" },
          { key: "coverage", type: "enum" },
          { key: "First Name", type: "string" },
          { key: "ok", type: "string" },
          { key: "code", type: "string", pattern: "([" },
          { key: "mystery", type: 99 },
          { key: "age", type: "integer", allowedValues: ["1"] },
          { key: "size", type: "enum", allowedValues: ["s", "s"] },
          { type: "string" },
        ],
      },
    });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.code).toBe("invalid_argument");
    expect(r.body.error.details).toEqual([
      {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        fieldViolations: [
          { field: "fields[1].allowedValues", description: "enum fields need at least one allowed value" },
          { field: "fields[2].key", description: "must be lowerCamelCase: a lowercase letter, then letters and digits (at most 64)" },
          { field: "fields[3].key", description: '"ok" is used by an earlier field' },
          { field: "fields[4].pattern", description: "must be a valid JavaScript (ECMA-262) regular expression" },
          { field: "fields[5].type", description: "is not a known field type" },
          { field: "fields[6].allowedValues", description: "only enum fields have allowed values" },
          { field: "fields[7].allowedValues[1]", description: '"s" is listed twice' },
          { field: "fields[8].key", description: "is required" },
        ],
      },
    ]);
    expect((await list(adminKey, "")).data).toEqual([]);
  });

  it('an unknown type name ("type": "bogus") is invalid_argument', async () => {
    const { adminKey } = await server.newTenant();
    const r = await server.call("POST", VERTICALS, {
      key: adminKey,
      body: {
        name: "Bad type",
        fields: [
          { key: "ok", type: "string" },
          { key: "a", type: "bogus" },
        ],
      },
    });
    // Rejected by the JSON decoder, before validation: the path is from the body's root but carries no index.
    expectError(r, 400, "invalid_argument", ["fields.type"]);
    expect(r.body.error.message).toBe('cannot decode enum leadrouter.v1.LeadField.Type from JSON: "bogus"');
  });

  it("a pattern is only for text types", async () => {
    const { adminKey } = await server.newTenant();
    const r = await server.call("POST", VERTICALS, {
      key: adminKey,
      body: { name: "Patterns", fields: [{ key: "age", type: "integer", pattern: "^1" }] },
    });
    expectError(r, 400, "invalid_argument", ["fields[0].pattern"]);
  });
});

describe("ListVerticals", () => {
  it("filters by status and tags and pages newest first", async () => {
    const { adminKey } = await server.newTenant();
    const solar = await createVertical(adminKey, { name: "Solar", tags: ["energy", "home"] });
    const auto = await createVertical(adminKey, { name: "Auto", tags: ["insurance"] });
    const home = await createVertical(adminKey, { name: "Home", tags: ["insurance", "home"] });
    const archived = await server.call("POST", `${VERTICALS}/${auto.id}:archive`, { key: adminKey });
    expect(archived.status, archived.text).toBe(200);

    expect(ids((await list(adminKey, "status=archived")).data)).toEqual([auto.id]);
    expect(ids((await list(adminKey, "status=active")).data)).toEqual([home.id, solar.id]);
    expect(ids((await list(adminKey, "tags=home")).data)).toEqual([home.id, solar.id]);
    expect(ids((await list(adminKey, "tags=home&tags=insurance")).data)).toEqual([home.id]);
    expect(ids((await list(adminKey, "orderBy=name")).data)).toEqual([auto.id, home.id, solar.id]);

    const first = await list(adminKey, "pageSize=2");
    expect(ids(first.data)).toEqual([home.id, auto.id]);
    expect(first.pagination.pageSize).toBe(2);
    const second = await list(adminKey, `pageSize=2&pageToken=${encodeURIComponent(first.pagination.nextPageToken)}`);
    expect(ids(second.data)).toEqual([solar.id]);
    expect(second.pagination.nextPageToken).toBe("");
    const rebound = await server.call(
      "GET",
      `${VERTICALS}?pageSize=2&status=active&pageToken=${encodeURIComponent(first.pagination.nextPageToken)}`,
      {
        key: adminKey,
      },
    );
    expectError(rebound, 400, "invalid_argument", ["pageToken"]);
    expectError(await server.call("GET", `${VERTICALS}?pageSize=501`, { key: adminKey }), 400, "invalid_argument", ["pageSize"]);
    expectError(await server.call("GET", `${VERTICALS}?orderBy=slug`, { key: adminKey }), 400, "invalid_argument", ["orderBy"]);
  });

  it("created.start and created.end select by creation time", async () => {
    const { adminKey } = await server.newTenant();
    const a = await createVertical(adminKey, { name: "A" });
    const b = await createVertical(adminKey, { name: "B" });
    const c = await createVertical(adminKey, { name: "C" });
    const at = encodeURIComponent;
    expect(ids((await list(adminKey, `created.start=${at(b.createdAt)}`)).data)).toEqual([c.id, b.id]);
    expect(ids((await list(adminKey, `created.end=${at(b.createdAt)}`)).data)).toEqual([a.id]);
  });
});

describe("GetVertical and BatchGetVerticals", () => {
  it("gets by id; an unknown or foreign id is not_found", async () => {
    const a = await server.newTenant();
    const b = await server.newTenant();
    const v = await createVertical(a.adminKey, { name: "Solar", fields: [{ key: "zip", type: "zip" }] });
    expect(await getVertical(a.adminKey, v.id)).toEqual(v);
    const id = uuidv7();
    const missing = await server.call("GET", `${VERTICALS}/${id}`, { key: a.adminKey });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: "not_found", message: `vertical ${id} not found`, details: [] } });
    expectError(await server.call("GET", `${VERTICALS}/${v.id}`, { key: b.adminKey }), 404, "not_found");
    expectError(await server.call("GET", `${VERTICALS}/solar`, { key: a.adminKey }), 400, "invalid_argument", ["id"]);
  });

  it("batchGet returns the verticals in the order asked and fails not_found if any is missing", async () => {
    const { adminKey } = await server.newTenant();
    const x = await createVertical(adminKey, { name: "X" });
    const y = await createVertical(adminKey, { name: "Y" });
    const r = await server.call("GET", `${VERTICALS}:batchGet?ids=${y.id}&ids=${x.id}`, { key: adminKey });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ data: [y, x] });
    const missing = uuidv7();
    const bad = await server.call("GET", `${VERTICALS}:batchGet?ids=${x.id}&ids=${missing}`, { key: adminKey });
    expect(bad.status).toBe(404);
    expect(bad.body).toEqual({ error: { code: "not_found", message: `vertical ${missing} not found`, details: [] } });
    expectError(await server.call("GET", `${VERTICALS}:batchGet?ids=${x.id}&ids=x`, { key: adminKey }), 400, "invalid_argument", [
      "ids[1]",
    ]);
  });
});

describe("UpdateVertical", () => {
  it("mask name changes the name only; the slug stays", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto Insurance", tags: ["a"], fields: [{ key: "zip", type: "zip" }] });
    const r = await server.call("PATCH", `${VERTICALS}/${v.id}?updateMask=name`, {
      key: adminKey,
      body: { name: "Car Insurance", tags: ["b"], fields: [] },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toEqual({ ...v, name: "Car Insurance", updatedAt: r.body.data.updatedAt });
    expect(Date.parse(r.body.data.updatedAt)).toBeGreaterThan(Date.parse(v.updatedAt));
  });

  it("without a mask only the fields present in the body change", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Solar", tags: ["energy"], fields: [{ key: "zip", type: "zip" }] });
    const r = await server.call("PATCH", `${VERTICALS}/${v.id}`, { key: adminKey, body: { description: "Rooftop solar" } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toEqual({ ...v, description: "Rooftop solar", updatedAt: r.body.data.updatedAt });
  });

  it("mask fields replaces the whole schema, validated like on create", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Mortgage", fields: everyType });
    const replacement = [
      { key: "loanAmount", type: "decimal", required: true },
      { key: "zip", type: "zip" },
    ];
    const r = await server.call("PATCH", `${VERTICALS}/${v.id}?updateMask=fields`, {
      key: adminKey,
      body: { name: "ignored", fields: replacement },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.name).toBe("Mortgage");
    expect(r.body.data.fields).toEqual(replacement.map(full));
    expect((await getVertical(adminKey, v.id)).fields).toEqual(replacement.map(full));

    const bad = await server.call("PATCH", `${VERTICALS}/${v.id}?updateMask=fields`, {
      key: adminKey,
      body: {
        fields: [
          { key: "a", type: "enum" },
          { key: "a", type: "string" },
        ],
      },
    });
    expectError(bad, 400, "invalid_argument", ["fields[0].allowedValues", "fields[1].key"]);
    expect((await getVertical(adminKey, v.id)).fields).toEqual(replacement.map(full));
  });

  it("changing the slug to one taken in the tenant is already_exists naming slug", async () => {
    const { adminKey } = await server.newTenant();
    await createVertical(adminKey, { name: "Solar" });
    const v = await createVertical(adminKey, { name: "Wind" });
    const r = await server.call("PATCH", `${VERTICALS}/${v.id}`, { key: adminKey, body: { slug: "solar" } });
    expectError(r, 409, "already_exists", ["slug"]);
  });
});

describe("DeleteVertical", () => {
  it("returns the vertical as it was; afterwards get and delete are not_found", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Doomed", fields: [{ key: "zip", type: "zip" }] });
    const del = await server.call("DELETE", `${VERTICALS}/${v.id}`, { key: adminKey });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ data: v });
    expectError(await server.call("GET", `${VERTICALS}/${v.id}`, { key: adminKey }), 404, "not_found");
    expectError(await server.call("DELETE", `${VERTICALS}/${v.id}`, { key: adminKey }), 404, "not_found");
    expect((await list(adminKey, "")).data).toEqual([]);
  });
});

describe("ArchiveVertical and UnarchiveVertical", () => {
  it("archive and unarchive change the status, visible in get; repeating either is fine", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Seasonal" });
    const archived = await server.call("POST", `${VERTICALS}/${v.id}:archive`, { key: adminKey });
    expect(archived.status, archived.text).toBe(200);
    expect(archived.body.data).toMatchObject({ id: v.id, name: "Seasonal", status: "archived" });
    expect((await getVertical(adminKey, v.id)).status).toBe("archived");
    expect((await server.call("POST", `${VERTICALS}/${v.id}:archive`, { key: adminKey })).body.data.status).toBe("archived");
    const active = await server.call("POST", `${VERTICALS}/${v.id}:unarchive`, { key: adminKey, body: {} });
    expect(active.status, active.text).toBe(200);
    expect(active.body.data.status).toBe("active");
    expect((await getVertical(adminKey, v.id)).status).toBe("active");
    expect((await server.call("POST", `${VERTICALS}/${v.id}:unarchive`, { key: adminKey })).body.data.status).toBe("active");
    expectError(await server.call("POST", `${VERTICALS}/${uuidv7()}:archive`, { key: adminKey }), 404, "not_found");
  });
});

describe("vertical fields sub-resource", () => {
  it("lists the fields in schema order as a single page", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto", fields: everyType });
    const r = await server.call("GET", fieldsPath(v.id), { key: adminKey });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ data: everyType.map(full), pagination: { nextPageToken: "", pageSize: everyType.length } });
  });

  it("gets one field by key", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto", fields: everyType });
    const r = await server.call("GET", fieldsPath(v.id, "coverage"), { key: adminKey });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      data: full({ key: "coverage", label: "Coverage", type: "enum", allowedValues: ["basic", "full"], required: true }),
    });
  });

  it("create appends the field at the end; a taken key is already_exists naming key", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, {
      name: "Auto",
      fields: [
        { key: "firstName", type: "string" },
        { key: "zip", type: "zip" },
      ],
    });
    const added = await server.call("POST", fieldsPath(v.id), {
      key: adminKey,
      body: { key: "creditScore", label: "Credit score", type: "enum", allowedValues: ["good", "fair", "poor"], required: true },
    });
    expect(added.status, added.text).toBe(200);
    const expected = full({
      key: "creditScore",
      label: "Credit score",
      type: "enum",
      allowedValues: ["good", "fair", "poor"],
      required: true,
    });
    expect(added.body).toEqual({ data: expected });
    const after = await getVertical(adminKey, v.id);
    expect(keys(after.fields)).toEqual(["firstName", "zip", "creditScore"]);
    expect(after.fields[2]).toEqual(expected);

    const dup = await server.call("POST", fieldsPath(v.id), { key: adminKey, body: { key: "zip", type: "string" } });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({
      error: {
        code: "already_exists",
        message: 'a field with key "zip" already exists in this vertical',
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "key", description: 'a field with key "zip" already exists in this vertical' }],
          },
        ],
      },
    });
    expect(keys((await getVertical(adminKey, v.id)).fields)).toEqual(["firstName", "zip", "creditScore"]);
  });

  it("create validates the field, naming paths without a fields[i] prefix", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto" });
    const r = await server.call("POST", fieldsPath(v.id), { key: adminKey, body: { key: "Bad Key", type: "enum" } });
    expectError(r, 400, "invalid_argument", ["key", "allowedValues"]);
    expect((await getVertical(adminKey, v.id)).fields).toEqual([]);
  });

  it("update with mask label changes the label only; the key in the path names the field", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto", fields: everyType });
    const r = await server.call("PATCH", `${fieldsPath(v.id, "firstName")}?updateMask=label`, {
      key: adminKey,
      body: { label: "Given name", required: false, type: "integer" },
    });
    expect(r.status, r.text).toBe(200);
    const expected = full({ ...everyType[0], label: "Given name" });
    expect(r.body).toEqual({ data: expected });
    const after = await getVertical(adminKey, v.id);
    expect(after.fields).toEqual(everyType.map(full).with(0, expected));
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(v.updatedAt));
  });

  it("update without a mask changes the fields present in the body", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto", fields: everyType });
    const r = await server.call("PATCH", fieldsPath(v.id, "coverage"), {
      key: adminKey,
      body: { allowedValues: ["basic", "full", "premium"], pii: true },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toEqual(full({ ...everyType[5], allowedValues: ["basic", "full", "premium"], pii: true }));
  });

  it("without a mask, a body key spelled with its proto name (allowed_values) updates that attribute", async () => {
    // Proto3 JSON parsers accept both spellings; the implied mask must too.
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto", fields: [{ key: "size", type: "enum", allowed_values: ["s"] }] });
    expect(v.fields[0].allowedValues).toEqual(["s"]);
    const r = await server.call("PATCH", fieldsPath(v.id, "size"), { key: adminKey, body: { allowed_values: ["s", "m"] } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toEqual(full({ key: "size", type: "enum", allowedValues: ["s", "m"] }));
  });

  it("changing a field's type to enum without allowedValues is invalid_argument naming allowedValues", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto", fields: everyType });
    const r = await server.call("PATCH", `${fieldsPath(v.id, "firstName")}?updateMask=type`, { key: adminKey, body: { type: "enum" } });
    expectError(r, 400, "invalid_argument", ["allowedValues", "pattern"]);
    const noMask = await server.call("PATCH", fieldsPath(v.id, "homeowner"), { key: adminKey, body: { type: "enum" } });
    expectError(noMask, 400, "invalid_argument", ["allowedValues"]);
    expect((await getVertical(adminKey, v.id)).fields).toEqual(everyType.map(full));
    const ok = await server.call("PATCH", fieldsPath(v.id, "homeowner"), {
      key: adminKey,
      body: { type: "enum", allowedValues: ["yes", "no"] },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.data).toEqual(full({ key: "homeowner", type: "enum", allowedValues: ["yes", "no"] }));
  });

  it("delete returns the field as it was and it is gone from the schema", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto", fields: everyType });
    const del = await server.call("DELETE", fieldsPath(v.id, "zip"), { key: adminKey });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ data: full(everyType[3]) });
    expectError(await server.call("GET", fieldsPath(v.id, "zip"), { key: adminKey }), 404, "not_found");
    expectError(await server.call("DELETE", fieldsPath(v.id, "zip"), { key: adminKey }), 404, "not_found");
    expect(keys((await getVertical(adminKey, v.id)).fields)).toEqual(keys(everyType).filter((k) => k !== "zip"));
    const schema = await server.call("GET", `${VERTICALS}/${v.id}/schema`, { key: adminKey });
    expect(Object.keys(schema.body.properties)).not.toContain("zip");
    expect(schema.body.required).toEqual(["firstName", "email", "coverage"]);
  });

  it("an unknown key is not_found; an unknown vertical is not_found for every field method", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto", fields: [{ key: "zip", type: "zip" }] });
    const unknownKey = await server.call("GET", fieldsPath(v.id, "nope"), { key: adminKey });
    expect(unknownKey.status).toBe(404);
    expect(unknownKey.body).toEqual({ error: { code: "not_found", message: "vertical field nope not found", details: [] } });
    expectError(await server.call("PATCH", fieldsPath(v.id, "nope"), { key: adminKey, body: { label: "x" } }), 404, "not_found");
    expectError(await server.call("DELETE", fieldsPath(v.id, "nope"), { key: adminKey }), 404, "not_found");

    const id = uuidv7();
    const notFound = { error: { code: "not_found", message: `vertical ${id} not found`, details: [] } };
    for (const [method, path, body] of [
      ["GET", fieldsPath(id), undefined],
      ["GET", fieldsPath(id, "zip"), undefined],
      ["POST", fieldsPath(id), { key: "zip", type: "zip" }],
      ["PATCH", fieldsPath(id, "zip"), { label: "Zip" }],
      ["DELETE", fieldsPath(id, "zip"), undefined],
      ["GET", `${VERTICALS}/${id}/schema`, undefined],
    ] as const) {
      const r = await server.call(method, path, { key: adminKey, body });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body, `${method} ${path}`).toEqual(notFound);
    }
  });
});

describe("GetVerticalSchema", () => {
  it("returns a bare draft 2020-12 JSON Schema with each field's type, format, pattern and enum", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto Insurance", description: "Car cover leads", fields: everyType });
    const r = await server.call("GET", `${VERTICALS}/${v.id}/schema`, { key: adminKey });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.body).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "urn:leadrouter:vertical:auto-insurance",
      title: "Auto Insurance",
      description: "Car cover leads",
      type: "object",
      properties: {
        firstName: { type: "string", pattern: "^[A-Za-z' -]+$", title: "First name", "x-pii": true },
        email: { type: "string", format: "email", "x-pii": true },
        phone: { type: "string", pattern: "^\\+[1-9]\\d{6,14}$", "x-pii": true },
        zip: { type: "string", pattern: "^\\d{5}(-\\d{4})?$", allOf: [{ pattern: "^7" }] },
        state: { type: "string", enum: US_STATES },
        coverage: { type: "string", enum: ["basic", "full"], title: "Coverage" },
        vehicles: { type: "integer" },
        premium: { type: "number" },
        homeowner: { type: "boolean" },
        birthDate: { type: "string", format: "date", description: "Date of birth" },
      },
      required: ["firstName", "email", "zip", "coverage"],
      additionalProperties: false,
    });
  });

  it("a vertical without fields has an empty closed schema", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Empty" });
    const r = await server.call("GET", `${VERTICALS}/${v.id}/schema`, { key: adminKey });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "urn:leadrouter:vertical:empty",
      title: "Empty",
      type: "object",
      properties: {},
      required: [],
      additionalProperties: false,
    });
  });

  it("an off-the-shelf validator (Ajv, draft 2020-12) accepts a good lead and rejects each kind of bad one", async () => {
    const { adminKey } = await server.newTenant();
    const v = await createVertical(adminKey, { name: "Auto Insurance", fields: everyType });
    const schema = (await server.call("GET", `${VERTICALS}/${v.id}/schema`, { key: adminKey })).body;
    const ajv = new Ajv2020({ allErrors: true });
    // Ajv ships no formats and rejects unknown keywords in strict mode; declare what the schema uses.
    ajv.addFormat("email", /^[^\s@]+@[^\s@]+\.[^\s@]+$/);
    ajv.addFormat("date", /^\d{4}-\d{2}-\d{2}$/);
    ajv.addKeyword("x-pii");
    const validate = ajv.compile(schema);

    const good = {
      firstName: "Ada",
      email: "ada@example.com",
      phone: "+15125551212",
      zip: "78701",
      state: "TX",
      coverage: "full",
      vehicles: 2,
      premium: 99.5,
      homeowner: true,
      birthDate: "1990-04-01",
    };
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ firstName: "Ada", email: "ada@example.com", zip: "70001-1234", coverage: "basic" })).toBe(true);

    const bad = {
      email: "not-an-email",
      phone: "5125551212",
      zip: "7123",
      state: "XX",
      coverage: "gold",
      vehicles: 1.5,
      homeowner: "yes",
      birthDate: "April 1st",
      extra: "x",
    };
    expect(validate(bad)).toBe(false);
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.keyword}`).sort();
    expect(problems).toEqual(
      [
        "/ required",
        "/ additionalProperties",
        "/email format",
        "/phone pattern",
        "/zip pattern",
        "/state enum",
        "/coverage enum",
        "/vehicles type",
        "/homeowner type",
        "/birthDate format",
      ].sort(),
    );
    const required = validate.errors?.find((e) => e.keyword === "required");
    expect(required?.params).toEqual({ missingProperty: "firstName" });
    expect(validate({ ...good, zip: "12345" })).toBe(false);
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.keyword} ${e.schemaPath}`)).toEqual([
      "/zip pattern #/properties/zip/allOf/0/pattern",
    ]);
  });
});
