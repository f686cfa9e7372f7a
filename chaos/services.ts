/**
 * The harness's own Postgres (embedded), nats-server and redis-server: free
 * loopback ports, data under the run's temporary directory, and each can be
 * killed (SIGKILL) and started again on the same port and data.
 */
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "../src/db/embedded.ts";
import { freePort } from "../src/db/free-port.ts";
import { type Child, childrenOf, type Registry, running, spawnChild, waitFor } from "./proc.ts";

/** A service the harness can crash and bring back. */
export interface Service {
  url: string;
  /** SIGKILL, and wait until it (and, for Postgres, every backend) has gone. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it answers. */
  start(): Promise<void>;
  /** Its pids now (for the exit hook and RSS). */
  pids(): number[];
  close(): Promise<void>;
}

/** Embedded Postgres under dir, on a free port; owner URL in `url`. */
export async function startPostgres(dir: string): Promise<Service> {
  const log = pino({ level: "silent" });
  const port = await freePort();
  let db: EmbeddedDatabase = await startEmbeddedPostgres(dir, { exactly: port }, log);
  const postmaster = () => {
    try {
      return Number(readFileSync(join(dir, "postgres", "postmaster.pid"), "utf8").split("\n")[0]);
    } catch {
      return 0;
    }
  };
  const pids = () => {
    const pm = postmaster();
    return pm && running(pm) ? [pm, ...childrenOf(pm)] : [];
  };
  const kill9 = async () => {
    // The postmaster first, then its backends (they would notice its death and exit on their own, later).
    const all = pids();
    for (const pid of all) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    if (!(await waitFor(() => all.every((p) => !running(p)), 10_000))) throw new Error("postgres did not die");
  };
  return {
    url: db.url,
    kill9,
    pids,
    async start() {
      db = await startEmbeddedPostgres(dir, { exactly: port }, log);
    },
    async close() {
      const stopped = await Promise.race([db.stop().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
      if (!stopped || pids().length > 0) await kill9();
    },
  };
}

/** nats-server with JetStream on a free port, its store under dir. */
export async function startNatsServer(registry: Registry, dir: string): Promise<Service> {
  const port = await freePort();
  const store = join(dir, "nats");
  await mkdir(store, { recursive: true });
  let child: Child;
  const start = async () => {
    child = spawnChild(registry, "/usr/sbin/nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store], process.env);
    if (!(await waitFor(() => probe(port), 10_000))) throw new Error(`nats-server did not start:\n${child.output()}`);
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    kill9: () => child.kill9(),
    start,
    pids: () => (child.alive() ? [child.pid] : []),
    close: () => child.kill9(),
  };
}

/** redis-server on a free port, no persistence, its directory under dir. */
export async function startRedisServer(registry: Registry, dir: string): Promise<Service> {
  const port = await freePort();
  const home = join(dir, "redis");
  await mkdir(home, { recursive: true });
  let child: Child;
  const start = async () => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", home];
    child = spawnChild(registry, "/usr/bin/redis-server", args, process.env);
    if (!(await waitFor(() => probe(port), 10_000))) throw new Error(`redis-server did not start:\n${child.output()}`);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill9: () => child.kill9(),
    start,
    pids: () => (child.alive() ? [child.pid] : []),
    close: () => child.kill9(),
  };
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
async function probe(port: number): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((ok) => {
    const s = connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      ok(true);
    });
    s.once("error", () => ok(false));
  });
}
