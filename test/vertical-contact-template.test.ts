/**
 * The contact template fits a plain contact lead (name, email, phone, state,
 * ZIP): a vertical made from it accepts the README's example lead, which
 * every other built-in template refuses for the fields it lacks, and still
 * refuses a lead missing one of the contact fields.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readmeLead } from "../src/demo/example-lead.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

const { consent: _consent, ...fields } = readmeLead();

async function verticalFrom(adminKey: string, template: string): Promise<string> {
  const r = await server.call("POST", "/api/v1/verticals:fromTemplate", { key: adminKey, body: { template } });
  expect(r.status, r.text).toBe(200);
  return r.body.data.id;
}

const validate = (adminKey: string, id: string, lead: unknown) =>
  server.call("POST", `/api/v1/verticals/${id}:validateLead`, { key: adminKey, body: { lead } });

describe("the contact vertical template", () => {
  it("has the contact fields only: name, email, phone, state and ZIP required, street and city optional", async () => {
    const { adminKey } = await server.newTenant();
    const r = await server.call("GET", "/api/v1/verticalTemplates/contact", { key: adminKey });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toMatchObject({ name: "contact", displayName: "Contact", slug: "contact" });
    const shape = r.body.data.fields.map((f: any) => [f.key, f.type, f.required]);
    expect(shape).toEqual([
      ["firstName", "string", true],
      ["lastName", "string", true],
      ["email", "email", true],
      ["phone", "phone", true],
      ["address", "string", false],
      ["city", "string", false],
      ["state", "state", true],
      ["zip", "zip", true],
    ]);
  });

  it("makes a vertical that accepts the README's lead, which every other template refuses", async () => {
    const { adminKey } = await server.newTenant();
    const templates = (await server.call("GET", "/api/v1/verticalTemplates", { key: adminKey })).body.data.map((t: any) => t.name);
    const valid: Record<string, boolean> = {};
    for (const name of templates) {
      const r = await validate(adminKey, await verticalFrom(adminKey, name), fields);
      expect(r.status, r.text).toBe(200);
      valid[name] = r.body.data.valid;
    }
    expect(Object.entries(valid).filter(([, ok]) => ok)).toEqual([["contact", true]]);
  });

  it("still requires each contact field: a lead without its ZIP or with a bad email is refused, naming them", async () => {
    const { adminKey } = await server.newTenant();
    const id = await verticalFrom(adminKey, "contact");
    const ok = await validate(adminKey, id, fields);
    expect(ok.body.data).toMatchObject({ valid: true, violations: [] });
    const { zip: _zip, ...noZip } = fields;
    const bad = await validate(adminKey, id, { ...noZip, email: "not-an-email" });
    expect(bad.status, bad.text).toBe(200);
    expect(bad.body.data.valid).toBe(false);
    expect(bad.body.data.violations.map((v: { field: string }) => v.field)).toEqual(["email", "zip"]);
  });
});
