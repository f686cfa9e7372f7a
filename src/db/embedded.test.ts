/**
 * The embedded PostgreSQL's port: a default that another process holds is
 * replaced by a free port; a port named exactly (EMBEDDED_PG_PORT) that is
 * held fails with a message naming the port, the data directory and the
 * setting, and leaves no server running.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../log.ts";
import { EmbeddedStartFailure, embeddedPort, startEmbeddedPostgres } from "./embedded.ts";

const dataDir = resolve(import.meta.dirname, "../..", ".data", `embedded-ports-${randomUUID().slice(0, 8)}`);
const log = createLogger("silent");
let holder: Server;
let held: number;

beforeAll(async () => {
  // Held the way another program would: on every address, as `net.createServer().listen(port)` does.
  holder = createServer();
  await new Promise<void>((ok) => holder.listen(0, ok));
  held = (holder.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((ok) => holder.close(ok));
  await rm(dataDir, { recursive: true, force: true });
});

describe("embedded PostgreSQL ports", () => {
  it("EMBEDDED_PG_PORT is exact; unset, the default 54329 is only preferred", () => {
    expect(embeddedPort({ embeddedPgPort: undefined })).toEqual({ preferably: 54329 });
    expect(embeddedPort({ embeddedPgPort: 6543 })).toEqual({ exactly: 6543 });
  });

  it("starts on a free port when the preferred one is held, and serves there", async () => {
    const db = await startEmbeddedPostgres(dataDir, { preferably: held }, log);
    try {
      expect(db.port).not.toBe(held);
      expect(db.url).toContain(`:${db.port}/`);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        expect((await client.query("SELECT current_database() AS name")).rows[0].name).toBe("lead_router");
      } finally {
        await client.end();
      }
    } finally {
      await db.stop();
    }
  }, 120_000);

  it("fails on a held exact port, naming the port, the data directory and EMBEDDED_PG_PORT, with no server left running", async () => {
    const failure = await startEmbeddedPostgres(dataDir, { exactly: held }, log).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(EmbeddedStartFailure);
    const message = (failure as Error).message;
    expect(message).toContain(`port ${held}`);
    expect(message).toContain(join(dataDir, "postgres"));
    expect(message).toContain("EMBEDDED_PG_PORT");
    // PostgreSQL's own reason is in the message, not "undefined".
    expect(message).toMatch(/could not (bind|create)/i);
    expect(existsSync(join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
  }, 120_000);
});
