/**
 * Two servers in one process, each by its own settings: nothing a server is
 * configured with lives in a module, so one server's settings never leak
 * into another's (src/deps.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundedBuyer, leadWorld } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let open: TestServer;
let guarded: TestServer;
let other: TestServer;

beforeAll(async () => {
  [open, guarded, other] = await Promise.all([
    startServer({ destinationsAllowPrivate: true }),
    startServer({ destinationsAllowPrivate: false }),
    startServer({ destinationsAllowPrivate: false }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.close(), guarded?.close(), other?.close()]);
});

/** Creates a destination with this URL through server s, as the tenant's admin. */
async function createDestination(s: TestServer, url: string, adminKey: string, buyerId: string) {
  return s.call("POST", `/api/v1/buyers/${buyerId}/destinations`, { key: adminKey, body: { name: "CRM", url, bodyFormat: "json" } });
}

describe("two servers in one process", () => {
  it("each applies its own DESTINATIONS_ALLOW_PRIVATE, whichever started last", async () => {
    const w = await leadWorld(open);
    const buyer = await fundedBuyer(open, w);
    const inside = "http://127.0.0.1:8080/leads";
    const allowed = await createDestination(open, inside, w.adminKey, buyer.id);
    expect(allowed.status, allowed.text).toBe(200);
    const refused = await createDestination(guarded, inside, w.adminKey, buyer.id);
    expect(refused.status, refused.text).toBe(400);
    expect(refused.text).toContain("DESTINATIONS_ALLOW_PRIVATE=true");
    // And the first one still allows it after the second refused.
    const again = await createDestination(open, inside, w.adminKey, buyer.id);
    expect(again.status, again.text).toBe(200);
  });

  it("each accepts its own sandbox buyer as a destination, not the other server's", async () => {
    const w = await leadWorld(guarded);
    const buyer = await fundedBuyer(guarded, w);
    const own = await createDestination(guarded, `${guarded.url}/sandbox/buyer`, w.adminKey, buyer.id);
    expect(own.status, own.text).toBe(200);
    const others = await createDestination(guarded, `${other.url}/sandbox/buyer`, w.adminKey, buyer.id);
    expect(others.status, others.text).toBe(400);
    expect(others.text).toContain("inside the server's network");
    const mine = await createDestination(other, `${other.url}/sandbox/buyer`, w.adminKey, buyer.id);
    expect(mine.status, mine.text).toBe(200);
  });
});
