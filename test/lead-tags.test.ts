/**
 * Tags and sub-ids on leads: a submission's sub-ids (sub1…sub5) and tags,
 * joined at submission with its campaign's and partner's tags, shown on the
 * lead and carried by lead.created; validated field by field; filtered on in
 * ListLeads; hidden from buyers and always shown to the partner.
 */
import { ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LeadService } from "../gen/es/leadrouter/v1/leads_pb.js";
import { expectError, grpcViolatedFields } from "./support/errors.ts";
import { exampleLead, fundedBuyer, type LeadWorld, leadWorld, offerContract, submit } from "./support/lead-fixture.ts";
import { bearer, dataOf, startServer, type TestServer } from "./support/server.ts";

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

/** A world whose campaign is tagged `auto`, `tx` and whose partner is tagged `affiliate`, with one buyer at 20.00. */
async function taggedWorld(campaign: Record<string, unknown> = {}): Promise<LeadWorld & { buyerId: string }> {
  const w = await leadWorld(server, { campaign: { tags: ["auto", "tx"], partnerResponse: "full", ...campaign } });
  await dataOf(server.call("PATCH", `/api/v1/partners/${w.partnerId}`, { key: w.adminKey, body: { tags: ["affiliate"] } }));
  const b = await fundedBuyer(server, w);
  await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "20.00" } });
  return { ...w, buyerId: b.id };
}

let seq = 0;
/** The example lead with an address of its own (the campaign checks duplicates by email). */
function lead(extra: Record<string, unknown> = {}): Record<string, unknown> {
  seq += 1;
  return exampleLead({ email: `tags-${seq}-${Date.now()}@example.com`, ...extra });
}

/** The data of the lead's lead.created event, as written to the outbox. */
async function createdEvent(leadId: string): Promise<any> {
  const r = await owner.query("SELECT payload FROM outbox_events WHERE type = 'lead.created' AND subject_id = $1", [leadId]);
  expect(r.rows).toHaveLength(1);
  return r.rows[0].payload;
}

/** Sub-ids as the REST answer shows them: all five, '' when absent. */
function subs(given: Record<string, string>): Record<string, string> {
  return { sub1: "", sub2: "", sub3: "", sub4: "", sub5: "", ...given };
}

async function leadCount(tenantId: string): Promise<number> {
  return Number((await owner.query("SELECT count(*) FROM leads WHERE tenant_id = $1", [tenantId])).rows[0].count);
}

describe("sub-ids and tags on a submission", () => {
  it("REST: the lead keeps its sub-ids and the union of its own, its campaign's and its partner's tags, and lead.created carries them", async () => {
    const w = await taggedWorld();
    const res = await submit(server, w, lead({ subIds: { sub1: "net-7", sub3: "Banner/Top" }, tags: ["promo", "Promo", "auto", "promo"] }));
    expect(res.status, res.text).toBe(200);
    const sent = res.body.data;
    expect(sent.status).toBe("sold");
    expect(sent.subIds).toEqual(subs({ sub1: "net-7", sub3: "Banner/Top" }));
    // Deduplicated with case kept, sorted; `subIds` and `tags` are request fields, not vertical fields.
    expect(sent.tags).toEqual(["Promo", "affiliate", "auto", "promo", "tx"]);
    expect(sent.fields).not.toHaveProperty("tags");
    expect(sent.fields).not.toHaveProperty("subIds");

    const got = await dataOf(server.call("GET", `/api/v1/leads/${sent.id}`, { key: w.adminKey }));
    expect(got.subIds).toEqual(subs({ sub1: "net-7", sub3: "Banner/Top" }));
    expect(got.tags).toEqual(["Promo", "affiliate", "auto", "promo", "tx"]);
    const stored = (await owner.query("SELECT sub1, sub2, sub3, tags FROM leads WHERE id = $1", [sent.id])).rows[0];
    expect(stored).toEqual({ sub1: "net-7", sub2: "", sub3: "Banner/Top", tags: ["Promo", "affiliate", "auto", "promo", "tx"] });

    const event = await createdEvent(sent.id);
    expect(event.tags).toEqual(["Promo", "affiliate", "auto", "promo", "tx"]);
    expect(event.subIds).toEqual(subs({ sub1: "net-7", sub3: "Banner/Top" }));
  });

  it("a lead without sub-ids or tags of its own still takes its campaign's and partner's tags; absent sub-ids are '' in the table", async () => {
    const w = await taggedWorld();
    const sent = await dataOf(submit(server, w, lead()));
    expect(sent.subIds).toBeUndefined();
    expect(sent.tags).toEqual(["affiliate", "auto", "tx"]);
    const stored = (await owner.query("SELECT sub1, sub5 FROM leads WHERE id = $1", [sent.id])).rows[0];
    expect(stored).toEqual({ sub1: "", sub5: "" });
    const event = await createdEvent(sent.id);
    expect(event.tags).toEqual(["affiliate", "auto", "tx"]);
    expect(event.subIds).toBeUndefined();
  });

  it("later changes to a campaign's or partner's tags do not rewrite old leads; new leads take the new tags", async () => {
    const w = await taggedWorld();
    const old = await dataOf(submit(server, w, lead()));
    await dataOf(server.call("PATCH", `/api/v1/campaigns/${w.campaignId}`, { key: w.adminKey, body: { tags: ["home"] } }));
    await dataOf(server.call("PATCH", `/api/v1/partners/${w.partnerId}`, { key: w.adminKey, body: { tags: ["network"] } }));
    const fresh = await dataOf(submit(server, w, lead()));
    expect(fresh.tags).toEqual(["home", "network"]);
    expect((await dataOf(server.call("GET", `/api/v1/leads/${old.id}`, { key: w.adminKey }))).tags).toEqual(["affiliate", "auto", "tx"]);
  });

  it("a form post carries sub-ids as subIds.subN and tags as repeated (or single) `tags` keys", async () => {
    const w = await taggedWorld();
    const post = (form: URLSearchParams) =>
      server.call("POST", "/api/v1/leads/submit", {
        key: w.partnerKey,
        body: form.toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    const base = { campaignId: w.campaignId, postingKey: w.postingKey, firstName: "Alex", lastName: "Rivera", phone: "+15125551212" };
    const one = await post(
      new URLSearchParams({
        ...base,
        email: `form-1-${Date.now()}@example.com`,
        state: "TX",
        zip: "78701",
        tags: "solo",
        "subIds.sub1": "f-1",
      }),
    );
    expect(one.status, one.text).toBe(200);
    expect(one.body.data.tags).toEqual(["affiliate", "auto", "solo", "tx"]);
    expect(one.body.data.subIds).toEqual(subs({ sub1: "f-1" }));
    const twoForm = new URLSearchParams({ ...base, email: `form-2-${Date.now()}@example.com`, state: "TX", zip: "78701" });
    twoForm.append("tags", "b");
    twoForm.append("tags", "a");
    const two = await post(twoForm);
    expect(two.status, two.text).toBe(200);
    expect(two.body.data.tags).toEqual(["a", "affiliate", "auto", "b", "tx"]);
    expect(two.body.data.fields).not.toHaveProperty("tags");
  });

  it("gRPC: SubmitLead takes subIds and tags as fields of the request", async () => {
    const w = await taggedWorld();
    const leads = server.client(LeadService, "grpc");
    const { consent: _, ...fields } = lead();
    const res = await leads.submitLead(
      { campaignId: w.campaignId, postingKey: w.postingKey, fields: fields as never, subIds: { sub2: "click-9" }, tags: ["grpc"] },
      bearer(w.partnerKey),
    );
    expect(res.data?.subIds?.sub2).toBe("click-9");
    expect(res.data?.subIds?.sub1).toBe("");
    expect(res.data?.tags).toEqual(["affiliate", "auto", "grpc", "tx"]);
    const event = await createdEvent(res.data?.id ?? "");
    expect(event).toMatchObject({ tags: ["affiliate", "auto", "grpc", "tx"], subIds: { sub2: "click-9" } });
  });
});

describe("validation of sub-ids and tags", () => {
  it("REST: a bad tag, too many tags and a long sub-id are 400 naming each field, with the vertical's bad fields, and store nothing", async () => {
    const w = await taggedWorld();
    const before = await leadCount(w.tenantId);
    const badTag = await submit(
      server,
      w,
      lead({ tags: ["ok", "fine", "also-ok", "not ok!"], subIds: { sub2: "x".repeat(256) }, zip: "nope" }),
    );
    expectError(badTag, 400, "invalid_argument", ["tags[3]", "subIds.sub2", "zip"]);
    const many = await submit(server, w, lead({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }));
    expectError(many, 400, "invalid_argument", ["tags"]);
    const empty = await submit(server, w, lead({ tags: [""] }));
    expectError(empty, 400, "invalid_argument", ["tags[0]"]);
    const long = await submit(server, w, lead({ tags: ["a".repeat(65)] }));
    expectError(long, 400, "invalid_argument", ["tags[0]"]);
    const nul = await submit(server, w, lead({ subIds: { sub5: "a\u0000b" } }));
    expectError(nul, 400, "invalid_argument", ["subIds.sub5"]);
    expect(await leadCount(w.tenantId)).toBe(before);
    // The limits are inclusive: 20 tags of 64 characters and 255-character sub-ids are accepted.
    const tags = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, "0")}${"t".repeat(62)}`);
    const full = await submit(server, w, lead({ tags, subIds: { sub1: "s".repeat(255) } }));
    expect(full.status, full.text).toBe(200);
    expect(full.body.data.subIds.sub1).toHaveLength(255);
  });

  it("gRPC: the same violations name the same fields", async () => {
    const w = await taggedWorld();
    const leads = server.client(LeadService, "grpc");
    const { consent: _, ...fields } = lead();
    const err = await leads
      .submitLead(
        { campaignId: w.campaignId, postingKey: w.postingKey, fields: fields as never, subIds: { sub4: "y".repeat(300) }, tags: ["a b"] },
        bearer(w.partnerKey),
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ConnectError);
    expect(grpcViolatedFields(err).sort()).toEqual(["subIds.sub4", "tags[0]"]);
  });
});

describe("ListLeads by tag and sub-id", () => {
  it("filters by one tag and by sub-ids (each given must match), and pages within the filter", async () => {
    const w = await taggedWorld();
    const a = await dataOf(submit(server, w, lead({ tags: ["spring"], subIds: { sub1: "net-1", sub2: "x" } })));
    const b = await dataOf(submit(server, w, lead({ tags: ["spring"], subIds: { sub1: "net-1", sub2: "y" } })));
    const c = await dataOf(submit(server, w, lead({ tags: ["Spring"], subIds: { sub1: "net-2" } })));
    const list = async (q: string) => (await dataOf(server.call("GET", `/api/v1/leads?${q}`, { key: w.adminKey }))).map((l: any) => l.id);
    expect(await list("tag=spring")).toEqual([b.id, a.id]);
    expect(await list("tag=Spring")).toEqual([c.id]);
    expect(await list("tag=affiliate")).toEqual([c.id, b.id, a.id]);
    expect(await list("tag=none")).toEqual([]);
    expect(await list("subIds.sub1=net-1")).toEqual([b.id, a.id]);
    expect(await list("subIds.sub1=net-1&subIds.sub2=y")).toEqual([b.id]);
    expect(await list("tag=Spring&subIds.sub1=net-1")).toEqual([]);

    const first = await server.call("GET", "/api/v1/leads?tag=spring&pageSize=1", { key: w.adminKey });
    expect(first.body.data.map((l: any) => l.id)).toEqual([b.id]);
    const token = first.body.pagination.nextPageToken;
    const second = await dataOf(server.call("GET", `/api/v1/leads?tag=spring&pageSize=1&pageToken=${token}`, { key: w.adminKey }));
    expect(second.map((l: any) => l.id)).toEqual([a.id]);
    // A page token belongs to its filters.
    const other = await server.call("GET", `/api/v1/leads?tag=Spring&pageSize=1&pageToken=${token}`, { key: w.adminKey });
    expect(other.status).toBe(400);
  });

  it("a bad tag or sub-id filter is 400 naming it; a buyer's key may not filter by source", async () => {
    const w = await taggedWorld();
    expectError(await server.call("GET", "/api/v1/leads?tag=a%20b", { key: w.adminKey }), 400, "invalid_argument", ["tag"]);
    expectError(await server.call("GET", `/api/v1/leads?subIds.sub3=${"z".repeat(256)}`, { key: w.adminKey }), 400, "invalid_argument", [
      "subIds.sub3",
    ]);
    expectError(await server.call("GET", "/api/v1/leads?subIds.sub1=%00", { key: w.adminKey }), 400, "invalid_argument", ["subIds.sub1"]);
    const buyerKey = (await server.newKey(w.adminKey, { role: "buyer", buyerId: w.buyerId })).secret;
    expectError(await server.call("GET", "/api/v1/leads?tag=auto", { key: buyerKey }), 400, "invalid_argument", ["tag"]);
    expectError(await server.call("GET", "/api/v1/leads?subIds.sub1=x", { key: buyerKey }), 400, "invalid_argument", ["subIds"]);
    expect((await server.call("GET", "/api/v1/leads", { key: buyerKey })).status).toBe(200);
  });
});

describe("who sees a lead's source", () => {
  it("the partner sees its sub-ids and tags even at `minimal`; the buyer that bought the lead sees neither", async () => {
    const w = await taggedWorld({ partnerResponse: "minimal" });
    const sent = await dataOf(submit(server, w, lead({ subIds: { sub1: "net-3" }, tags: ["mine"] })));
    const { id, status, subIds, tags, ...rest } = sent;
    expect([id, status, subIds, tags]).toEqual([sent.id, "sold", subs({ sub1: "net-3" }), ["affiliate", "auto", "mine", "tx"]]);
    const isEmpty = (v: unknown) => v === "" || v === false || (Array.isArray(v) && v.length === 0);
    expect(Object.entries(rest).filter(([, v]) => !isEmpty(v))).toEqual([]);
    const asPartner = await dataOf(server.call("GET", `/api/v1/leads/${sent.id}`, { key: w.partnerKey }));
    expect(asPartner).toMatchObject({ subIds: { sub1: "net-3" }, tags: ["affiliate", "auto", "mine", "tx"] });
    const listed = await dataOf(server.call("GET", "/api/v1/leads?subIds.sub1=net-3", { key: w.partnerKey }));
    expect(listed.map((l: any) => l.id)).toEqual([sent.id]);

    const buyerKey = (await server.newKey(w.adminKey, { role: "buyer", buyerId: w.buyerId })).secret;
    const asBuyer = await dataOf(server.call("GET", `/api/v1/leads/${sent.id}`, { key: buyerKey }));
    expect(asBuyer.sales.map((s: any) => s.buyerId)).toEqual([w.buyerId]);
    expect(asBuyer.subIds).toBeUndefined();
    expect(asBuyer.tags ?? []).toEqual([]);
  });
});

describe("ping/post", () => {
  it("PostLead takes subIds and tags; the lead and its lead.created event carry them with the campaign's and partner's tags", async () => {
    const w = await taggedWorld();
    const pinged = await dataOf(
      server.call("POST", "/api/v1/leads/ping", {
        key: w.partnerKey,
        body: { campaignId: w.campaignId, postingKey: w.postingKey, state: "TX", zip: "78701" },
      }),
    );
    const bad = await server.call("POST", "/api/v1/leads/post", {
      key: w.partnerKey,
      body: { token: pinged.token, postingKey: w.postingKey, ...lead({ tags: ["bad tag"] }) },
    });
    expectError(bad, 400, "invalid_argument", ["tags[0]"]);
    const res = await server.call("POST", "/api/v1/leads/post", {
      key: w.partnerKey,
      body: { token: pinged.token, postingKey: w.postingKey, ...lead({ subIds: { sub1: "pp-1" }, tags: ["ping"] }) },
    });
    expect(res.status, res.text).toBe(200);
    const posted = res.body.data;
    expect(posted.status).toBe("sold");
    expect(posted.subIds).toEqual(subs({ sub1: "pp-1" }));
    expect(posted.tags).toEqual(["affiliate", "auto", "ping", "tx"]);
    expect(posted.fields).not.toHaveProperty("tags");
    const event = await createdEvent(posted.id);
    expect(event).toMatchObject({ pingId: pinged.pingId, tags: ["affiliate", "auto", "ping", "tx"], subIds: { sub1: "pp-1" } });
  });
});
