/**
 * The tenant's time zone: tenants carry an IANA `timeZone` (UTC unless set,
 * refused with 400 naming the field when Intl or Postgres does not know it),
 * and the time series of a tenant's reports starts its days at midnight in
 * that zone unless the request names another.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "./support/errors.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

/** Creates a tenant (with `body`) and an admin key for it. */
async function tenant(body: Record<string, unknown>): Promise<{ id: string; timeZone: string; adminKey: string }> {
  const t = await dataOf(server.call("POST", "/api/v1/tenants", { key: server.superadminKey, body: { name: "Zoned", ...body } }));
  const key = await dataOf(
    server.call("POST", "/api/v1/api-keys", { key: server.superadminKey, body: { name: "admin", role: "admin", tenantId: t.id } }),
  );
  return { id: t.id, timeZone: t.timeZone, adminKey: key.secret };
}

/** The local wall-clock time of each day's start in `zone`. */
async function dayStarts(key: string, zone: string, query = ""): Promise<string[]> {
  const res = await server.call("GET", `/api/v1/reports/time-series?interval=day${query}`, { key });
  expect(res.status, res.text).toBe(200);
  const clock = new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  return [...new Set((res.body.data as { start: string }[]).map((p) => clock.format(new Date(p.start))))];
}

describe("a tenant's time zone", () => {
  it("defaults to UTC, keeps an IANA name, and changes with an update mask", async () => {
    expect((await tenant({})).timeZone).toBe("UTC");
    const t = await tenant({ timeZone: "America/Chicago" });
    expect(t.timeZone).toBe("America/Chicago");
    const got = await dataOf(server.call("GET", `/api/v1/tenants/${t.id}`, { key: server.superadminKey }));
    expect(got.timeZone).toBe("America/Chicago");
    const patched = await dataOf(
      server.call("PATCH", `/api/v1/tenants/${t.id}?updateMask=timeZone`, {
        key: server.superadminKey,
        body: { timeZone: "Asia/Tokyo", name: "ignored" },
      }),
    );
    expect([patched.timeZone, patched.name]).toEqual(["Asia/Tokyo", "Zoned"]);
    // Renaming alone leaves the zone as it was.
    const renamed = await dataOf(
      server.call("PATCH", `/api/v1/tenants/${t.id}?updateMask=name`, { key: server.superadminKey, body: { name: "Renamed" } }),
    );
    expect(renamed.timeZone).toBe("Asia/Tokyo");
  });

  it("refuses names neither zone database knows, offsets, and names only Intl knows, with 400 naming timeZone", async () => {
    for (const timeZone of ["Mars/Base", "+05:00", "US/Pacific-New"]) {
      expectError(
        await server.call("POST", "/api/v1/tenants", { key: server.superadminKey, body: { name: "Bad zone", timeZone } }),
        400,
        "invalid_argument",
        ["timeZone"],
      );
    }
    const t = await tenant({});
    const bad = await server.call("PATCH", `/api/v1/tenants/${t.id}`, { key: server.superadminKey, body: { timeZone: "US/Pacific-New" } });
    expectError(bad, 400, "invalid_argument", ["timeZone"]);
    expect((await dataOf(server.call("GET", `/api/v1/tenants/${t.id}`, { key: server.superadminKey }))).timeZone).toBe("UTC");
  });

  it("is where the time series starts its days unless the request names a zone, for every key of the tenant", async () => {
    const chicago = await tenant({ timeZone: "America/Chicago" });
    expect(await dayStarts(chicago.adminKey, "America/Chicago")).toEqual(["00:00"]);
    expect(await dayStarts(chicago.adminKey, "UTC")).not.toEqual(["00:00"]);
    // A named zone wins over the tenant's.
    expect(await dayStarts(chicago.adminKey, "Asia/Tokyo", "&timeZone=Asia/Tokyo")).toEqual(["00:00"]);
    // A partner key of the tenant gets the tenant's zone too.
    const partnerId = await server.newPartner(chicago.adminKey);
    const partnerKey = (await server.newKey(chicago.adminKey, { role: "partner", partnerId })).secret;
    expect(await dayStarts(partnerKey, "America/Chicago")).toEqual(["00:00"]);
    // A tenant left at UTC: UTC midnights; after an update, the new zone's.
    const plain = await tenant({});
    expect(await dayStarts(plain.adminKey, "UTC")).toEqual(["00:00"]);
    await dataOf(server.call("PATCH", `/api/v1/tenants/${plain.id}`, { key: server.superadminKey, body: { timeZone: "Europe/Berlin" } }));
    expect(await dayStarts(plain.adminKey, "Europe/Berlin")).toEqual(["00:00"]);
  });
});
