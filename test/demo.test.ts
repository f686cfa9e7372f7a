/**
 * `npm run demo`: its setup, on a server that does not allow private
 * destinations, makes a tenant whose printed curl command sells the README's
 * example lead — a contract filtered out, one capped, one sold, and the lead
 * delivered to the server's sandbox buyer. The command attaches to a running
 * Lead Router, or starts its own when none answers (on a free port when
 * something else holds PORT) and serves until Ctrl-C.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readmeLead } from "../src/demo/example-lead.ts";
import { demoText } from "../src/demo/print.ts";
import { setUpDemo } from "../src/demo/setup.ts";
import { submitRequest } from "../src/demo/submit-request.ts";
import { startServer, type TestServer } from "./support/server.ts";

const ROOT = resolve(import.meta.dirname, "..");
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ destinationsAllowPrivate: false });
});
afterAll(() => server?.close());

/** The words of a POSIX shell command line made of plain words, single-quoted words and backslash escapes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${line}`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === "\\") {
      word = (word ?? "") + line[++i];
    } else if (c === " ") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Runs the printed curl command's request (the options the demo prints: -s, -w, -H, -d) with fetch. */
async function runCurl(line: string): Promise<{ status: number; headers: Headers; body: any }> {
  const words = shellWords(line);
  expect(words[0]).toBe("curl");
  const headers = new Headers();
  let url = "";
  let body: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === "-s") continue;
    if (w === "-w") i++;
    else if (w === "-H") {
      const h = words[++i];
      headers.append(h.slice(0, h.indexOf(":")), h.slice(h.indexOf(":") + 1).trim());
    } else if (w === "-d") body = words[++i];
    else if (w.startsWith("-")) throw new Error(`the demo's curl uses an option this test does not know: ${w}`);
    else url = w;
  }
  const res = await fetch(url, { method: body === undefined ? "GET" : "POST", headers, body });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** The one curl command in the demo's output. */
function curlLine(output: string): string {
  const lines = output.split("\n").filter((l) => l.startsWith("curl "));
  expect(lines, output).toHaveLength(1);
  return lines[0];
}

/** Asserts the demo's lead was sold and delivered as the demo promises. */
async function expectSoldAndDelivered(line: string, url: string, adminKey: string, sunrise?: string): Promise<string> {
  const sold = await runCurl(line);
  expect(sold.status, JSON.stringify(sold.body)).toBe(200);
  const lead = sold.body.data;
  expect(lead.status).toBe("sold");
  expect(lead.fields).toMatchObject({ firstName: "Alex", lastName: "Rivera", state: "TX", zip: "78701" });
  expect(lead.sales).toEqual([
    expect.objectContaining({ price: "42.50", deliveryStatus: "delivered", ...(sunrise ? { buyerId: sunrise } : {}) }),
  ]);
  expect(lead.distribution.map((d: any) => [d.outcome, d.reason])).toEqual([
    ["filtered", "geo_mismatch"],
    ["capped", "daily_cap_reached"],
    ["sold", expect.any(String)],
  ]);
  const asAdmin = await fetch(`${url}/api/v1/leads/${lead.id}`, { headers: { authorization: `Bearer ${adminKey}` } });
  const full = ((await asAdmin.json()) as { data: { deliveries: unknown[] } }).data;
  expect(full.deliveries).toEqual([expect.objectContaining({ outcome: "accepted", httpStatus: 200 })]);
  return lead.id;
}

describe("the demo", () => {
  it("sets up a tenant whose printed curl command sells the README's lead: filtered, capped, sold, delivered to the sandbox", async () => {
    const world = await setUpDemo(server.url, server.superadminKey);
    const output = demoText({ url: server.url, ownServer: false }, world, submitRequest(world));
    for (const secret of [world.adminKey, world.partnerKey, world.postingKey, world.campaignId]) expect(output).toContain(secret);
    expect(world.sandboxUrl).toBe(`${server.url}/sandbox/buyer`);
    const line = curlLine(output);
    expect(line).not.toContain("jq");
    // The printed body is the README's lead, as the partner posts it.
    expect(JSON.parse(shellWords(line).at(-1) as string)).toEqual({
      campaignId: world.campaignId,
      postingKey: world.postingKey,
      ...readmeLead(),
    });

    const id = await expectSoldAndDelivered(line, server.url, world.adminKey, world.buyers[2].buyerId);
    // Run twice, the command replays the first answer: its Idempotency-Key makes it safe to repeat.
    const again = await runCurl(line);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.data.id).toBe(id);
    // The buyers paid: Sunrise for this lead, Lone Star for the demo's first one.
    const balances = await Promise.all(
      world.buyers.map(async (b) => {
        const r = await server.call("GET", `/api/v1/buyers/${b.buyerId}`, { key: world.adminKey });
        return r.body.data.balance;
      }),
    );
    expect(balances).toEqual(["500.00", "450.00", "457.50"]);
  });
});

/** `lead-router demo` as a child process. */
function demoProcess(env: Record<string, string | undefined>): {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const childEnv: Record<string, string | undefined> = { ...process.env, HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const proc = spawn(join(ROOT, "node_modules/.bin/node"), ["src/cli.ts", "demo"], { cwd: ROOT, env: childEnv as NodeJS.ProcessEnv });
  let output = "";
  proc.stdout?.on("data", (d) => {
    output += String(d);
  });
  proc.stderr?.on("data", (d) => {
    output += String(d);
  });
  const exited = new Promise<number | null>((ok) => proc.once("exit", (code) => ok(code)));
  return { proc, output: () => output, exited };
}

async function waitForCurl(child: ReturnType<typeof demoProcess>, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void child.exited.then(() => {
    done = true;
  });
  while (Date.now() < deadline) {
    const line = child
      .output()
      .split("\n")
      .find((l) => l.startsWith("curl "));
    if (line) return line;
    if (done) throw new Error(`the demo exited before printing its command:\n${child.output()}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`the demo printed no command in time:\n${child.output()}`);
}

const adminKeyIn = (output: string) => /^ +admin key +(\S+)/m.exec(output)?.[1] ?? "";

describe("npm run demo", () => {
  it("uses the Lead Router at LEAD_ROUTER_URL with LEAD_ROUTER_SUPERADMIN_KEY, prints, and exits", async () => {
    const child = demoProcess({ LEAD_ROUTER_URL: server.url, LEAD_ROUTER_SUPERADMIN_KEY: server.superadminKey });
    const line = await waitForCurl(child, 30_000);
    expect(await child.exited, child.output()).toBe(0);
    await expectSoldAndDelivered(line, server.url, adminKeyIn(child.output()));
  });

  it("without a Lead Router on PORT (another server holds it) starts its own on a free port, sells through it, and stops on Ctrl-C", async () => {
    // Something that is not a Lead Router, even with a /healthz of its own.
    const other: Server = createServer((req, res) => {
      if (req.url === "/healthz") res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      else res.writeHead(404).end();
    });
    await new Promise<void>((ok) => other.listen(0, "127.0.0.1", ok));
    const held = (other.address() as AddressInfo).port;
    const child = demoProcess({
      PORT: String(held),
      DATABASE_URL: inject("databaseUrl"),
      LEAD_ROUTER_URL: undefined,
      LEAD_ROUTER_SUPERADMIN_KEY: undefined,
      DESTINATIONS_ALLOW_PRIVATE: undefined,
    });
    try {
      const line = await waitForCurl(child, 60_000);
      const output = child.output();
      expect(output).toContain(`Port ${held} is taken`);
      expect(output).toMatch(/superadmin key\s+demo-superadmin-/);
      const url = /Lead Router is running on (\S+) /.exec(output)?.[1] as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toBe(`http://127.0.0.1:${held}`);
      await expectSoldAndDelivered(line, url, adminKeyIn(output));
      child.proc.kill("SIGINT");
      expect(await child.exited, child.output()).toBe(0);
    } finally {
      if (child.proc.exitCode === null) child.proc.kill("SIGKILL");
      await new Promise((ok) => other.close(ok));
    }
  }, 90_000);

  it("refuses clearly when LEAD_ROUTER_URL names something that is not a Lead Router", async () => {
    const child = demoProcess({ LEAD_ROUTER_URL: "http://127.0.0.1:1", LEAD_ROUTER_SUPERADMIN_KEY: "x" });
    expect(await child.exited).toBe(1);
    expect(child.output()).toContain("no Lead Router answers at LEAD_ROUTER_URL=http://127.0.0.1:1");
  });
});
