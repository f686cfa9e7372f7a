/**
 * `lead-router worker`: the background half of Lead Router as its own
 * process (the outbox relay, the event consumers and webhook delivery,
 * src/workers.ts), so API nodes (`serve` with WORKERS=off) and workers
 * scale apart. It serves only the operational endpoints: /healthz,
 * /readyz and /metrics (the registry the relay and consumers register on).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { sql } from "slonik";
import type { Config } from "./config.ts";
import { createDeps } from "./deps.ts";
import { migrate } from "./db/migrate.ts";
import { appUrlFrom, openPool } from "./db/pool.ts";
import { startBackground } from "./workers.ts";

/** A running worker process's parts. */
export interface WorkerProcess {
  url: string;
  /** Stops taking work (readyz answers 503), stops the workers after their batch in flight, then the pool and the listener. */
  close(): Promise<void>;
}

/**
 * Why a worker cannot run with this configuration, or undefined: it needs
 * the shared database, since the embedded one belongs to a single `serve`.
 */
export function workerRefusal(config: Pick<Config, "databaseUrl">): string | undefined {
  return config.databaseUrl
    ? undefined
    : "lead-router worker needs DATABASE_URL: it shares the API nodes' database and cannot use the embedded one";
}

/** Runs migrations, opens the app-role pool, starts the workers and listens on config.port for the operational endpoints. */
export async function startWorker(config: Config, log: Logger): Promise<WorkerProcess> {
  const refusal = workerRefusal(config);
  if (refusal || !config.databaseUrl) throw new Error(refusal);
  await migrate(config.databaseUrl, config.appDbPassword, log);
  const pool = await openPool(config.appDatabaseUrl ?? appUrlFrom(config.databaseUrl, config.appDbPassword), config.poolSize);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let workers: Awaited<ReturnType<typeof startBackground>>;
  try {
    workers = await startBackground(await createDeps(pool, config), config, registry, log);
  } catch (e) {
    await pool.end();
    throw e;
  }
  let draining = false;
  const ready = async () => !draining && (await pool.oneFirst(sql.unsafe`SELECT 1`)) === 1;
  const server = createServer((req, res) => void answer(req, res, registry, ready, log));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  }).catch(async (e: unknown) => {
    await workers.stop();
    await pool.end();
    throw e;
  });
  const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async close() {
      draining = true;
      await workers.stop();
      await pool.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers the operational endpoints; anything else is 404. */
async function answer(req: IncomingMessage, res: ServerResponse, registry: Registry, ready: () => Promise<boolean>, log: Logger) {
  const json = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  try {
    const path = new URL(req.url ?? "/", "http://worker").pathname;
    if (path === "/healthz") return json(200, { status: "ok" });
    if (path === "/readyz") {
      const ok = await ready().catch(() => false);
      return json(ok ? 200 : 503, { status: ok ? "ready" : "unavailable" });
    }
    if (path === "/metrics") return res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
    return json(404, { error: { code: "not_found", message: "a worker serves only /healthz, /readyz and /metrics", details: [] } });
  } catch (e) {
    log.error({ err: e }, "worker endpoint failed");
    if (!res.headersSent) json(500, { error: { code: "internal", message: "internal error", details: [] } });
  }
}
