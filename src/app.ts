/**
 * Assembles a server from its configuration: database (embedded or given),
 * migrations, the pipeline, the four protocols on one port, and graceful
 * shutdown. Used by `lead-router serve` and by the tests.
 */
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { sql } from "slonik";
import type { Config } from "./config.ts";
import { startEmbeddedPostgres } from "./db/embedded.ts";
import { migrate } from "./db/migrate.ts";
import { appUrlFrom, openPool } from "./db/pool.ts";
import { authInterceptor } from "./pipeline/auth.ts";
import { rolesInterceptor } from "./pipeline/roles.ts";
import { createRest } from "./rest/handler.ts";
import { createHttpHandler } from "./server/http.ts";
import { createListener } from "./server/listener.ts";
import { createMetrics } from "./server/metrics.ts";
import { createRpc } from "./server/rpc.ts";
import { registerServices } from "./services.ts";
import { setPageTokenSecret } from "./standard/pagination.ts";

/** A running server. */
export interface App {
  url: string;
  port: number;
  close: () => Promise<void>;
}

/** Resolves the owner URL, starting the embedded database when none is configured. */
async function database(config: Config, log: Logger): Promise<{ ownerUrl: string; stop: () => Promise<void> }> {
  if (config.databaseUrl) return { ownerUrl: config.databaseUrl, stop: async () => {} };
  const embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log);
  return { ownerUrl: embedded.url, stop: embedded.stop };
}

/** Starts everything and listens on config.port (0 picks a free port). */
export async function startApp(config: Config, log: Logger): Promise<App> {
  const db = await database(config, log);
  await migrate(db.ownerUrl, config.appDbPassword, log);
  const pool = await openPool(config.appDatabaseUrl ?? appUrlFrom(db.ownerUrl, config.appDbPassword), config.poolSize);
  setPageTokenSecret(String(await pool.oneFirst(sql.unsafe`SELECT value FROM settings WHERE key = 'page_token_secret'`)));

  const rpc = createRpc(log, [authInterceptor(pool, config.superadminKey), rolesInterceptor()], registerServices({ pool }));
  const rest = createRest(rpc);
  let draining = false;
  const handler = createHttpHandler({
    log,
    rpc,
    rest,
    metrics: createMetrics(),
    ready: async () => (await pool.oneFirst(sql.unsafe`SELECT 1`)) === 1,
    draining: () => draining,
  });
  const { server, drain, closeAll } = createListener(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  return {
    url,
    port,
    close: async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      drain();
      const timer = setTimeout(closeAll, config.shutdownGraceMs);
      await closed;
      clearTimeout(timer);
      await pool.end();
      await db.stop();
    },
  };
}
