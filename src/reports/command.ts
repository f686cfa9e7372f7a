/**
 * `lead-router reports rebuild [--tenant <id>] [--force]` and
 * `lead-router reports check [--tenant <id>] [--since <time>]`: the report
 * projection's operator commands (rebuild.ts, check.ts). They need the shared
 * database (DATABASE_URL), bring it to the current schema first, and work as
 * the application role through the report functions. Output goes to stdout;
 * the exit code is 0, 1 (check: differences found) or 2 (usage).
 */
import { parseArgs } from "node:util";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { migrate } from "../db/migrate.ts";
import { appUrlFrom, openPool } from "../db/pool.ts";
import { checkAgainstLedger, describeCheck } from "./check.ts";
import { lostHistory, rebuild } from "./rebuild.ts";

/** The usage line of `lead-router reports`. */
export const REPORTS_USAGE =
  "usage: lead-router reports rebuild [--tenant <id>] [--force] | lead-router reports check [--tenant <id>] [--since <RFC 3339 time>]";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the arguments ask for, or the reason they are refused. */
export type ReportsCommand =
  | { kind: "rebuild"; tenantId: string | null; force: boolean }
  | { kind: "check"; tenantId: string | null; since: string | null }
  | { kind: "refused"; reason: string };

/** Parses `reports …` arguments (after the word `reports`). */
export function parseReportsArgs(args: readonly string[]): ReportsCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (e) {
    return { kind: "refused", reason: (e as Error).message };
  }
  const { values, positionals } = parsed;
  const tenantId = values.tenant ?? null;
  if (tenantId !== null && !uuid.test(tenantId))
    return { kind: "refused", reason: `--tenant must be a tenant id (a UUID), not "${tenantId}"` };
  if (positionals.length !== 1) return { kind: "refused", reason: REPORTS_USAGE };
  if (positionals[0] === "rebuild") {
    if (values.since !== undefined) return { kind: "refused", reason: "--since is for reports check" };
    return { kind: "rebuild", tenantId, force: values.force ?? false };
  }
  if (positionals[0] === "check") {
    if (values.force !== undefined) return { kind: "refused", reason: "--force is for reports rebuild" };
    const since = values.since ?? null;
    if (since !== null && Number.isNaN(Date.parse(since)))
      return { kind: "refused", reason: `--since must be a time (RFC 3339), not "${since}"` };
    return { kind: "check", tenantId, since };
  }
  return { kind: "refused", reason: REPORTS_USAGE };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { tenant: { type: "string" }, force: { type: "boolean" }, since: { type: "string" } },
  });
}

/** Runs `lead-router reports …`; resolves to the process's exit code. */
export async function runReportsCommand(
  args: readonly string[],
  config: Config,
  log: Logger,
  out: (line: string) => void,
): Promise<number> {
  const cmd = parseReportsArgs(args);
  if (cmd.kind === "refused") {
    out(cmd.reason);
    return 2;
  }
  if (!config.databaseUrl) {
    out("lead-router reports needs DATABASE_URL: it works on the shared database");
    return 2;
  }
  await migrate(config.databaseUrl, config.appDbPassword, log);
  const pool = await openPool(config.appDatabaseUrl ?? appUrlFrom(config.databaseUrl, config.appDbPassword), 2);
  try {
    if (cmd.kind === "rebuild") {
      const lost = cmd.force ? null : await lostHistory(pool, cmd.tenantId);
      if (lost) {
        out(`reports rebuild refused: ${lost}`);
        return 1;
      }
      const started = Date.now();
      const r = await rebuild(pool, { tenantId: cmd.tenantId, force: cmd.force });
      const scope = cmd.tenantId ? `tenant ${cmd.tenantId}` : "every tenant";
      out(
        `reports rebuild (${scope}): cleared ${r.cleared} rollup rows; replayed ${r.replayed} events from the outbox` +
          `${r.from ? ` (oldest ${r.from})` : ""}, folded ${r.folded}; ${Date.now() - started} ms`,
      );
      return 0;
    }
    const lines = describeCheck(await checkAgainstLedger(pool, cmd.tenantId, cmd.since));
    for (const line of lines) out(line);
    return lines.length > 1 ? 1 : 0;
  } finally {
    await pool.end();
  }
}
