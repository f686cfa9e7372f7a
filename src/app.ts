/**
 * Assembles a server from its configuration: database (embedded or given),
 * migrations, the pipeline, the four protocols on one port, and graceful
 * shutdown. Used by `lead-router serve` and by the tests.
 */
import type { AddressInfo } from "node:net";
import type { DescService } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { type DatabasePool, sql } from "slonik";
import type { Config } from "./config.ts";
import { embeddedPort, startEmbeddedPostgres } from "./db/embedded.ts";
import { migrate } from "./db/migrate.ts";
import { appUrlFrom, openPool } from "./db/pool.ts";
import { Redis } from "ioredis";
import { connect as connectNats } from "@nats-io/transport-node";
import { jetStreamFollower } from "./events/follow-jetstream.ts";
import { createAuthenticator } from "./pipeline/auth.ts";
import { idempotencyInterceptor } from "./pipeline/idempotency.ts";
import { sweepInterruptedInboxClaims, sweepInterruptedLeads } from "./routing/sweep.ts";
import { purgeKeys } from "./pipeline/idempotency-store.ts";
import { authAndRateLimitInterceptor } from "./pipeline/rate-limit.ts";
import { RateLimiter } from "./pipeline/rate-limiter.ts";
import { rolesInterceptor } from "./pipeline/roles.ts";
import { stringContentInterceptor } from "./pipeline/string-content.ts";
import { transactionInterceptor } from "./pipeline/transaction.ts";
import { createRest } from "./rest/handler.ts";
import type { Route } from "./rest/routes.ts";
import { createHttpHandler } from "./server/http.ts";
import type { Db } from "./db/tenant-tx.ts";
import { createDeps } from "./deps.ts";
import { createListener } from "./server/listener.ts";
import { createMetrics } from "./server/metrics.ts";
import { createRpc } from "./server/rpc.ts";
import { SANDBOX_BUYER_PATH } from "./server/sandbox-buyer.ts";
import { registerServices } from "./services.ts";
import { startBackground } from "./workers.ts";

/** A running server. */
export interface App {
  url: string;
  port: number;
  /** The registered services and the REST routes built from them (for contract tests). */
  services: DescService[];
  routes: Route[];
  close: () => Promise<void>;
}

/** Resolves the owner URL, starting the embedded database when none is configured. */
async function database(config: Config, log: Logger): Promise<{ ownerUrl: string; stop: () => Promise<void> }> {
  if (config.databaseUrl) return { ownerUrl: config.databaseUrl, stop: async () => {} };
  const embedded = await startEmbeddedPostgres(config.dataDir, embeddedPort(config), log);
  return { ownerUrl: embedded.url, stop: embedded.stop };
}

/** Starts everything and listens on config.port (0 picks a free port); a failed start stops the database it started. */
export async function startApp(config: Config, log: Logger): Promise<App> {
  const db = await database(config, log);
  return serveOn(db, config, log).catch(async (e: unknown) => {
    await db.stop();
    throw e;
  });
}

/** Everything but the database: migrations, pool, pipeline, listener. */
async function serveOn(db: { ownerUrl: string; stop: () => Promise<void> }, config: Config, log: Logger): Promise<App> {
  await migrate(db.ownerUrl, config.appDbPassword, log);
  const pool = await openPool(config.appDatabaseUrl ?? appUrlFrom(db.ownerUrl, config.appDbPassword), config.poolSize);
  // The pool, the settings and the caches, passed to everything that needs them (src/deps.ts).
  // The server's one NATS connection, the live stream's feed (reconnects by itself); without NATS, streams follow the outbox.
  const nats = config.natsUrl
    ? await connectNats({ servers: config.natsUrl, maxReconnectAttempts: -1, name: "lead-router server" }).catch(async (e: unknown) => {
        await pool.end();
        throw e;
      })
    : undefined;
  const streamConfig = { name: config.natsStream, prefix: config.natsSubjectPrefix };
  const deps = await createDeps(pool, config, nats ? jetStreamFollower(nats, streamConfig) : undefined);
  if (!config.secretsKey) log.warn("SECRETS_KEY is not set: buyers' destination secrets are stored unencrypted");

  const metrics = createMetrics();
  const redis = config.redisUrl ? connectRedis(config.redisUrl, log) : undefined;
  // Management calls fail closed without Redis: do not take requests before it is connected.
  if (redis) await redisReady(redis, log, REDIS_STARTUP_WAIT_MS);
  const limiter = new RateLimiter(redis, log, {
    storeFailure: (bucket, outcome) => metrics.rateLimitStoreFailures.inc({ bucket, outcome }),
  });
  // The pipeline (DESIGN.md section 2), one file per step, outermost first:
  //   1. request id + access log  src/server/http.ts (before any RPC: every request, every protocol)
  //   2. authentication           src/pipeline/auth.ts (the authenticator step 4's interceptor calls first,
  //                               so a failed authentication draws from the caller's address bucket)
  //   4. rate limit               src/pipeline/rate-limit.ts (its verdict may arrive late: src/pipeline/admission.ts)
  //   3. authorization (roles)    src/pipeline/roles.ts
  //      string content           src/pipeline/string-content.ts (refuses strings Postgres cannot store)
  //   5. idempotency              src/pipeline/idempotency.ts
  //   6. tenant transaction       src/pipeline/transaction.ts (RPCs declaring `in_transaction`)
  //   7. the service              src/services.ts registers each resource's service.ts
  const interceptors = [
    authAndRateLimitInterceptor(
      config.rateLimitsEnabled ? limiter : undefined,
      createAuthenticator(pool, config.superadminKey, deps.caches.auth),
    ),
    rolesInterceptor(),
    stringContentInterceptor(),
    idempotencyInterceptor(pool),
    transactionInterceptor(pool),
  ];
  // Posting specs name the URL partners post to; by default the server's own, known once it listens.
  let publicUrl = config.publicUrl ?? "";
  const rpc = createRpc(
    log,
    interceptors,
    registerServices(deps, limiter, () => publicUrl),
  );
  const rest = createRest(rpc);
  const purge = startPurge(pool, log, (n) => metrics.idempotencyPurged.inc(n));
  const sweep = startSweep(deps, config.routingSweepAfterSeconds, log);
  // The relay, the event consumers and webhook delivery, unless `lead-router worker` processes run them.
  const workers = config.workersInProcess
    ? await startBackground(deps, config, metrics.registry, log).catch(async (e: unknown) => {
        clearInterval(purge);
        clearInterval(sweep);
        redis?.disconnect();
        await nats?.close();
        await pool.end();
        throw e;
      })
    : undefined;
  let draining = false;
  const handler = createHttpHandler({
    log,
    rpc,
    rest,
    metrics,
    ready: async () => (await pool.oneFirst(sql.unsafe`SELECT 1`)) === 1,
    draining: () => draining,
    publicUrl: () => publicUrl,
  });
  const { server, drain, closeAll } = createListener(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  }).catch(async (e: unknown) => {
    // The port is taken (or not ours to use): let go of what started before the database stops.
    clearInterval(purge);
    clearInterval(sweep);
    await workers?.stop();
    redis?.disconnect();
    await nats?.close();
    await pool.end();
    throw e;
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  publicUrl = config.publicUrl ?? url;
  const withdrawSandbox = deps.settings.destinations.allowOwnEndpoint(`${publicUrl}${SANDBOX_BUYER_PATH}`);
  return {
    url,
    port,
    services: rpc.services,
    routes: rest.routes,
    close: async () => {
      draining = true;
      // Open event streams end now (clients reconnect with their cursor), so closing waits on none of them.
      deps.events.close();
      withdrawSandbox();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      drain();
      const timer = setTimeout(closeAll, config.shutdownGraceMs);
      await closed;
      clearTimeout(timer);
      clearInterval(purge);
      clearInterval(sweep);
      await workers?.stop();
      await nats?.close();
      redis?.disconnect();
      // Connections to buyers close once their last exchange ends (each has its own timeout).
      void deps.settings.destinations.close().catch(() => {});
      await pool.end();
      await db.stop();
    },
  };
}

/** Redis for shared rate limits; commands fail fast while disconnected, and it reconnects by itself. */
function connectRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let warned = 0;
  redis.on("error", (e) => {
    if (Date.now() - warned > 5_000) {
      warned = Date.now();
      log.warn({ err: e }, "redis connection error");
    }
  });
  return redis;
}

/** How long startup waits for Redis before serving anyway (management calls fail closed until it connects). */
const REDIS_STARTUP_WAIT_MS = 5_000;

/** Resolves once Redis is connected, or after `timeoutMs` with a warning. */
function redisReady(redis: Redis, log: Logger, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    const timer = setTimeout(() => {
      log.warn({ timeoutMs }, "redis not reachable at startup; management calls fail closed until it is");
      done();
    }, timeoutMs);
    redis.once("ready", done);
  });
}

/** Purges idempotency records older than 24 hours, now and every 10 minutes. */
function startPurge(pool: DatabasePool, log: Logger, purged: (n: number) => void): NodeJS.Timeout {
  const run = () =>
    purgeKeys(pool, 24).then(
      (n) => purged(n),
      (e: unknown) => log.warn({ err: e }, "idempotency purge failed"),
    );
  void run();
  const timer = setInterval(run, 10 * 60_000);
  timer.unref();
  return timer;
}

/**
 * Ends leads whose routing process died, and gives back cherry-pick claims
 * left unsettled (src/routing/sweep.ts): checks every minute, or sooner when
 * the configured age is shorter.
 */
function startSweep(db: Db, afterSeconds: number, log: Logger): NodeJS.Timeout {
  const run = () =>
    sweepInterruptedLeads(db, afterSeconds)
      .then((n) => {
        if (n > 0) log.warn({ leads: n }, "ended leads whose routing was interrupted; their claims were given back");
        return sweepInterruptedInboxClaims(db, afterSeconds);
      })
      .then(
        (n) => {
          if (n > 0) log.warn({ claims: n }, "gave back cherry-pick claims left unsettled; their leads are open again");
        },
        (e: unknown) => log.warn({ err: e }, "routing sweep failed"),
      );
  const timer = setInterval(run, Math.min(60, Math.max(1, afterSeconds)) * 1000);
  timer.unref();
  return timer;
}
