/**
 * The harness's cluster: its own Postgres, NATS and Redis, two API processes
 * (`serve`, WORKERS=off), one `worker`, a buyer stub and webhook receivers,
 * all on loopback; each process can be killed and started again, and all of
 * them stop when the cluster closes (or the harness exits).
 */
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../src/db/free-port.ts";
import { RUNTIME_FLAGS } from "../src/runtime-flags.ts";
import { type Child, killOnExit, type Registry, rssKiB, spawnChild, waitFor } from "./proc.ts";
import { type Service, startNatsServer, startPostgres, startRedisServer } from "./services.ts";
import { type BuyerStub, startBuyerStub, startReceiver, type WebhookReceiver } from "./stubs.ts";

const ROOT = resolve(import.meta.dirname, "..");
const NODE = join(ROOT, "node_modules/.bin/node");

/** A Lead Router process (`serve` or `worker`) that can be killed and started again on its port. */
export interface App {
  name: string;
  url: string;
  child(): Child;
  /** SIGKILL. */
  kill9(): Promise<void>;
  /** Starts it again (same port and environment) and waits for /readyz. */
  start(): Promise<void>;
  rssKiB(): number;
}

/** The running cluster. */
export interface Cluster {
  dir: string;
  superadminKey: string;
  postgres: Service;
  nats: Service;
  redis: Service;
  apis: App[];
  worker: App;
  buyer: BuyerStub;
  /** Up for the whole run (subscribed to lead.sold). */
  receiver: WebhookReceiver;
  /** Down until scenario 7 brings it back. */
  lateReceiver: WebhookReceiver;
  /** The sweeper's age in seconds (ROUTING_SWEEP_AFTER_SECONDS of every process). */
  sweepAfterSeconds: number;
  close(): Promise<void>;
}

/** Options of a cluster. */
export interface ClusterOptions {
  sweepAfterSeconds?: number;
  /** Shown on failures: a process's last output. */
  log?: (line: string) => void;
}

/** Starts everything; on a failure part-way, stops what started. */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "lr-chaos-"));
  // Postgres runs as its own system user when the harness runs as root: it must reach its data directory.
  chmodSync(dir, 0o755);
  const registry: Registry = new Set();
  const closers: (() => Promise<void>)[] = [];
  let postgres: Service | undefined;
  const uninstall = killOnExit(
    registry,
    () => postgres?.pids() ?? [],
    () => rmSync(dir, { recursive: true, force: true }),
  );
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    uninstall();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    postgres = await startPostgres(join(dir, "pg"));
    closers.push(() => (postgres as Service).close());
    const nats = await startNatsServer(registry, dir);
    closers.push(() => nats.close());
    const redis = await startRedisServer(registry, dir);
    closers.push(() => redis.close());
    const buyer = await startBuyerStub();
    closers.push(() => buyer.close());
    const receiver = await startReceiver();
    closers.push(() => receiver.close());
    const lateReceiver = await startReceiver(true);
    closers.push(() => lateReceiver.close());
    const superadminKey = `sa_${randomUUID()}`;
    const sweepAfterSeconds = opts.sweepAfterSeconds ?? 5;
    const env: NodeJS.ProcessEnv = {
      ...inherited(),
      DATABASE_URL: postgres.url,
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      LEAD_ROUTER_SUPERADMIN_KEY: superadminKey,
      DESTINATIONS_ALLOW_PRIVATE: "true",
      ROUTING_SWEEP_AFTER_SECONDS: String(sweepAfterSeconds),
      DATABASE_POOL_SIZE: "10",
      // Quick retries: a receiver that comes back gets its messages within seconds.
      WEBHOOK_RETRY_SCHEDULE: "0,1s,2s,3s",
      SHUTDOWN_GRACE_MS: "2000",
    };
    const apps: App[] = [];
    closers.push(async () => {
      for (const a of apps) await a.child().stop(3_000);
    });
    // One at a time: each migrates on start.
    for (const name of ["api-1", "api-2"]) apps.push(await startApp(registry, name, "serve", { ...env, WORKERS: "off" }));
    const worker = await startApp(registry, "worker", "worker", env);
    apps.push(worker);
    return {
      dir,
      superadminKey,
      postgres,
      nats,
      redis,
      apis: apps.slice(0, 2),
      worker,
      buyer,
      receiver,
      lateReceiver,
      sweepAfterSeconds,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

async function startApp(registry: Registry, name: string, command: string, env: NodeJS.ProcessEnv): Promise<App> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: Child;
  const start = async () => {
    child = spawnChild(registry, NODE, [...RUNTIME_FLAGS, "src/cli.ts", command], { ...env, PORT: String(port) }, ROOT);
    const ready = await waitFor(
      async () =>
        !child.alive() ||
        (await fetch(`${url}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        )),
      90_000,
      100,
    );
    if (!ready || !child.alive()) throw new Error(`${name} did not become ready:\n${child.output()}`);
  };
  await start();
  return {
    name,
    url,
    child: () => child,
    kill9: () => child.kill9(),
    start,
    rssKiB: () => rssKiB(child.pid),
  };
}

/** The harness's environment without Lead Router's own settings: the cluster's processes get only the cluster's. */
function inherited(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_|NATS_|REDIS_|LEAD_ROUTER_|EMBEDDED_PG_|WEBHOOK_|ROUTING_|OUTBOX_)/.test(name)) delete env[name];
    if (["PORT", "PUBLIC_URL", "WORKERS", "REPORTS", "RATE_LIMITS", "SECRETS_KEY", "AUTH_CACHE_TTL_MS", "SHUTDOWN_GRACE_MS"].includes(name))
      delete env[name];
  }
  return env;
}
