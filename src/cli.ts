#!/usr/bin/env -S node --max-semi-space-size=16 --min-semi-space-size=16
/**
 * lead-router serve | worker | migrate | demo | reports. `serve` starts the API
 * (embedded Postgres when DATABASE_URL is unset) and shuts down gracefully on
 * SIGTERM/SIGINT; `worker` runs only the relay, consumers and webhook
 * delivery (src/worker.ts), likewise; `demo` sets up a demo tenant
 * (src/demo/run.ts); `reports rebuild|check` rebuilds and checks the report
 * projection (src/reports/command.ts). A command
 * that cannot start says why on stderr, naming the setting to change.
 */
import { startApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { embeddedPort, startEmbeddedPostgres } from "./db/embedded.ts";
import { migrate } from "./db/migrate.ts";
import { runDemo } from "./demo/run.ts";
import { runReportsCommand } from "./reports/command.ts";
import { createLogger } from "./log.ts";
import { describeFailure } from "./startup-failure.ts";
import { startWorker, workerRefusal } from "./worker.ts";

const config = (() => {
  try {
    return loadConfig();
  } catch (e) {
    // A setting that does not parse: say which, without a stack trace.
    process.stderr.write(`lead-router: ${(e as Error).message}\n`);
    process.exit(2);
  }
})();
const log = createLogger(config.logLevel);
const command = process.argv[2] ?? "serve";

async function serve(): Promise<void> {
  const app = await startApp(config, log);
  log.info({ url: app.url, docs: `${app.url}/docs` }, "lead router listening");
  const bootstrap = config.superadminKey
    ? "superadmin key: the value of LEAD_ROUTER_SUPERADMIN_KEY"
    : "set LEAD_ROUTER_SUPERADMIN_KEY to bootstrap the first tenant";
  process.stdout.write(`\nLead Router on ${app.url}\n  API reference: ${app.url}/docs\n  ${bootstrap}\n\n`);
  stopOnSignals(app.close);
}

async function worker(): Promise<void> {
  const refusal = workerRefusal(config);
  if (refusal) {
    process.stderr.write(`${refusal}\n`);
    process.exit(2);
  }
  const running = await startWorker(config, log);
  log.info({ url: running.url }, "lead router worker running");
  stopOnSignals(running.close);
}

/** On SIGTERM or SIGINT: close (once), then exit 0, or 1 if closing failed. */
function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

async function migrateOnly(): Promise<void> {
  if (config.databaseUrl) {
    await migrate(config.databaseUrl, config.appDbPassword, log);
    return;
  }
  const embedded = await startEmbeddedPostgres(config.dataDir, embeddedPort(config), log);
  try {
    await migrate(embedded.url, config.appDbPassword, log);
  } finally {
    await embedded.stop();
  }
}

// The demo's own server logs errors only (unless LOG_LEVEL says otherwise), so what the demo prints stays readable.
const demo = () => runDemo(config, process.env.LOG_LEVEL ? log : createLogger("error"));

// `reports rebuild|check` (src/reports/command.ts): its exit code says whether the check found differences.
const reports = async () =>
  process.exit(await runReportsCommand(process.argv.slice(3), config, log, (line) => process.stdout.write(`${line}\n`)));

const commands: Record<string, () => Promise<void>> = { serve, worker, migrate: migrateOnly, demo, reports };
const run = commands[command];
if (!run) {
  process.stderr.write(`usage: lead-router serve|worker|migrate|demo|reports\n`);
  process.exit(2);
}
run().catch((e: unknown) => {
  log.fatal({ err: e }, `${command} failed`);
  process.stderr.write(`\nlead-router ${command} failed: ${describeFailure(e, config)}\n`);
  process.exit(1);
});
