/**
 * An independent client built from the served OpenAPI document with tools
 * nobody here wrote: openapi-typescript generates the types, a committed
 * openapi-fetch script (test/typed-client/seed-flow.ts) runs the whole seed
 * flow against them, strict tsc must accept the script, and the script must
 * sell a lead with every response as the document says. The checks after it
 * name, for every operation, the shapes that once forced such a client into
 * workarounds, so a regression fails here even where tsc would not notice.
 */
import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StubEndpoint, startStub } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { createSpecCheck, deref, operationsOf, type Schema, type SpecDocument } from "./typed-client/spec-check.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
/** Git-ignored: the generated types live inside the repository so the script's imports resolve. */
const outDir = `${root}.typed-client`;
const script = fileURLToPath(new URL("./typed-client/seed-flow.ts", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

let server: TestServer;
let stub: StubEndpoint;
let served: SpecDocument;

beforeAll(async () => {
  server = await startServer();
  stub = await startStub();
  const res = await fetch(`${server.url}/openapi.json`);
  expect(res.status).toBe(200);
  served = (await res.json()) as SpecDocument;
});
afterAll(async () => {
  await stub?.close();
  await server?.close();
});

describe("a typed client generated from the served spec", () => {
  it("openapi-typescript's types from /openapi.json compile the seed-flow script under strict tsc", async () => {
    const types = astToString(await openapiTS(structuredClone(served) as never));
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    await writeFile(`${outDir}/lead-router-api.ts`, types);
    await writeFile(`${outDir}/.gitignore`, "*\n");
    const config = {
      compilerOptions: {
        target: "es2024",
        module: "nodenext",
        moduleResolution: "nodenext",
        lib: ["es2024"],
        types: ["node"],
        strict: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        verbatimModuleSyntax: true,
        skipLibCheck: true,
      },
      files: [script],
    };
    await writeFile(`${outDir}/tsconfig.json`, JSON.stringify(config, null, 2));
    const run = await promisify(execFile)(process.execPath, [tsc, "-p", `${outDir}/tsconfig.json`]).then(
      () => ({ code: 0, output: "" }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` }),
    );
    expect(run.output).toBe("");
    expect(run.code).toBe(0);
  }, 120_000);

  it("the script sells the README's lead end to end, and every response is what the spec declares", async () => {
    const tenant = await server.newTenant();
    const check = createSpecCheck(served);
    const problems: string[] = [];
    const calls: string[] = [];
    const watched = async (request: Request): Promise<Response> => {
      const response = await fetch(request);
      const path = new URL(request.url).pathname;
      const body: unknown = await response
        .clone()
        .json()
        .catch(() => "(not JSON)");
      calls.push(`${request.method} ${check.operation(request.method, path)?.op.operationId ?? path} ${response.status}`);
      problems.push(...check.response(request.method, path, response.status, body));
      return response;
    };
    // Imported by path so the repository's own typecheck, which has no generated types, never follows it.
    const { runSeedFlow } = await import(script);
    const result = await runSeedFlow({ baseUrl: server.url, adminKey: tenant.adminKey, buyerUrl: stub.url, fetch: watched });

    expect(calls.map((c) => c.split(" ")[1])).toEqual([
      "CreateVertical",
      "CreateBuyer",
      "CreditBuyer",
      "CreateBuyerDestination",
      "UpdateBuyer",
      "CreateOffer",
      "CreateContract",
      "CreatePartner",
      "CreateApiKey",
      "CreateCampaign",
      "CreatePostingKey",
      "SubmitLead",
      "GetLead",
      "ListLeads",
    ]);
    expect(
      calls.every((c) => c.endsWith(" 200")),
      calls.join("\n"),
    ).toBe(true);
    expect(problems).toEqual([]);
    expect(result.buyerBalance).toBe("500.00");
    expect(result.status).toBe("sold");
    expect(result.shortId).toMatch(/^LD-[0-9A-HJKMNP-TV-Z]{6}$/);
    expect(result.soldTo).toEqual([result.buyerId]);
    expect(result.deliveryStatus).toEqual(["delivered"]);
    expect(result.listedLeadIds).toEqual([result.leadId]);
    expect(result.pageSize).toBe(10);
    expect(stub.received).toEqual([expect.objectContaining({ email: "alex.rivera@example.com" })]);
  });
});

/** The schema an operation's JSON request body has, resolved. */
function bodySchema(doc: SpecDocument, op: { requestBody?: { content: Record<string, { schema: Schema }> } }): Schema | undefined {
  const schema = op.requestBody?.content["application/json"]?.schema;
  return schema === undefined ? undefined : deref(doc, schema);
}

/** The names of an operation's parameters in one place (path or query). */
function parameterNames(op: { parameters?: { name?: string; in?: string }[] }, where: string): string[] {
  return (op.parameters ?? []).filter((p) => p.in === where).map((p) => p.name ?? "");
}

describe("the served spec has nothing an independent client must work around", () => {
  it("no request body takes a field its path binds", () => {
    const found: string[] = [];
    for (const { method, path, op } of operationsOf(served)) {
      const props = Object.keys((bodySchema(served, op)?.properties as object | undefined) ?? {});
      for (const name of parameterNames(op, "path")) if (props.includes(name)) found.push(`${method} ${path}: ${name}`);
    }
    expect(found).toEqual([]);
  });

  it("every PATCH body is a partial: nothing required, nothing the server sets", () => {
    const patches = operationsOf(served).filter((o) => o.method === "PATCH");
    expect(patches.length).toBeGreaterThan(10);
    for (const { path, op } of patches) {
      const schema = bodySchema(served, op) ?? {};
      expect(schema.required, path).toBeUndefined();
      const props = Object.entries((schema.properties ?? {}) as Record<string, { readOnly?: boolean }>);
      expect(props.length, path).toBeGreaterThan(0);
      expect(
        props.filter(([, p]) => p.readOnly).map(([k]) => k),
        path,
      ).toEqual([]);
    }
  });

  it("every success envelope requires data (and pagination beside a list), and server-set fields are required", () => {
    for (const { method, path, op } of operationsOf(served)) {
      const success = op.responses["200"]?.content?.["application/json"]?.schema;
      expect(success, `${method} ${path}`).toBeDefined();
      const envelope = deref(served, success ?? {});
      if (envelope.type !== "object" || !envelope.properties) continue;
      const props = envelope.properties as Record<string, unknown>;
      const required = (envelope.required ?? []) as string[];
      if ("data" in props) expect(required, `${method} ${path}`).toContain("data");
      if ("pagination" in props) expect(required, `${method} ${path}`).toContain("pagination");
    }
    const buyer = served.components.schemas?.["leadrouter.v1.Buyer"] as { required: string[] };
    expect(buyer.required).toEqual(expect.arrayContaining(["id", "name", "status", "createdAt", "updatedAt", "balance"]));
  });

  it("no route documents a query parameter that another route of the same RPC binds in its path", () => {
    const ops = operationsOf(served);
    const pairs: string[] = [];
    for (const primary of ops) {
      for (const alias of ops.filter((o) => o.op.operationId.startsWith(`${primary.op.operationId}By`))) {
        pairs.push(alias.op.operationId);
        for (const [a, b] of [
          [primary, alias],
          [alias, primary],
        ] as const) {
          const clash = parameterNames(a.op, "query").filter((q) => parameterNames(b.op, "path").includes(q));
          expect(clash, `${a.op.operationId} vs ${b.op.operationId}`).toEqual([]);
        }
      }
    }
    expect(pairs).toEqual(expect.arrayContaining(["GetBuyerByExternalRef", "GetPartnerByExternalRef"]));
  });

  it("404 is declared wherever a resource is looked up, 413 wherever a body is taken", () => {
    const ops = operationsOf(served);
    for (const { method, path, op } of ops) {
      if (parameterNames(op, "path").length > 0) expect(op.responses["404"], `${method} ${path}`).toBeDefined();
      if (op.requestBody) expect(op.responses["413"], `${method} ${path}`).toBeDefined();
    }
    // The operations that look up ids a client sends outside the path.
    const byId = new Map(ops.map((o) => [o.op.operationId, o.op]));
    const bodyOrQuery = ["SubmitLead", "PingLead", "BatchUpdateLeadDisposition"];
    const batchGets = ["Buyers", "Campaigns", "Contracts", "Offers", "Partners", "SuppressionLists", "Verticals"].map(
      (r) => `BatchGet${r}`,
    );
    for (const id of [...bodyOrQuery, ...batchGets]) expect(byId.get(id)?.responses["404"], id).toBeDefined();
  });

  it("servers names the URL this server answers at", () => {
    expect(served.servers).toEqual([expect.objectContaining({ url: server.url })]);
  });
});
