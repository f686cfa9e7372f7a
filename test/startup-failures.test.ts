/**
 * `lead-router serve` that cannot start says why on stderr, naming the
 * setting to change, exits 1, and leaves no embedded PostgreSQL running:
 * the HTTP port (PORT) held by another process, and an exact embedded
 * PostgreSQL port (EMBEDDED_PG_PORT) held by another process.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const dataDir = join(ROOT, ".data", `startup-failures-${randomUUID().slice(0, 8)}`);
let holder: Server;
let held: number;

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((ok) => holder.listen(0, ok));
  held = (holder.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((ok) => holder.close(ok));
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `lead-router serve` with the embedded database in dataDir until it exits. */
function serve(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOST: "127.0.0.1", LOG_LEVEL: "silent", LEAD_ROUTER_DATA_DIR: dataDir, ...env };
  delete childEnv.DATABASE_URL;
  delete childEnv.DATABASE_APP_URL;
  const proc = spawn(join(ROOT, "node_modules/.bin/node"), ["src/cli.ts", "serve"], { cwd: ROOT, env: childEnv });
  let stderr = "";
  proc.stderr.on("data", (d) => {
    stderr += String(d);
  });
  proc.stdout.resume();
  return new Promise((ok) => proc.once("exit", (code) => ok({ code, stderr })));
}

describe("start-up failures", () => {
  it("PORT held by another process: exits 1 naming the address and PORT, and stops the embedded PostgreSQL it started", async () => {
    const { code, stderr } = await serve({ PORT: String(held) });
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`lead-router serve failed: 127.0.0.1:${held} is already in use by another process`);
    expect(stderr).toContain("choose another port with PORT");
    // The database had started (its data directory exists) and was stopped (PostgreSQL removes its pid file).
    expect(existsSync(join(dataDir, "postgres", "PG_VERSION"))).toBe(true);
    expect(existsSync(join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
  }, 120_000);

  it("EMBEDDED_PG_PORT held by another process: exits 1 naming the port, the data directory, PostgreSQL's reason and the setting", async () => {
    const { code, stderr } = await serve({ PORT: "0", EMBEDDED_PG_PORT: String(held) });
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`embedded PostgreSQL did not start (data directory ${join(dataDir, "postgres")}, port ${held})`);
    expect(stderr).toMatch(/could not bind|could not create any TCP\/IP sockets/);
    expect(stderr).toContain("Another process holds EMBEDDED_PG_PORT");
    expect(stderr).not.toContain("undefined");
    expect(existsSync(join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
  }, 120_000);
});
