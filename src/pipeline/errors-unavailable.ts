/**
 * Whether a failure means the database cannot be reached right now (down,
 * restarting, a connection cut): a condition that passes, so the client is
 * told 503 `unavailable` and retries, rather than 500 `internal`, which says
 * the request itself broke something.
 */
import { BackendTerminatedError, BackendTerminatedUnexpectedlyError, ConnectionError } from "slonik";
import { sqlStateOf } from "../db/sql-state.ts";

// Socket errors of a connection that could not be made or was cut.
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
// SQLSTATEs of a server going away or not yet there: class 08 (connection exception), 57P01-57P03
// (terminated by the administrator, crash shutdown, starting up), 53300 (too many connections).
const SQL_STATES = /^(08...|57P0[123]|53300)$/;
// What node-postgres says when the server closes the socket under a query (no code attached).
const CUT = /Connection terminated|connection (?:is )?closed|Client has encountered a connection error/i;

/** Whether e (or one of its causes) says the database is unreachable now. */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let cur = e, depth = 0; cur instanceof Error && depth < 6; cur = cur.cause, depth++) {
    if (cur instanceof ConnectionError || cur instanceof BackendTerminatedError || cur instanceof BackendTerminatedUnexpectedlyError)
      return true;
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && SOCKET_CODES.has(code)) return true;
    if (SQL_STATES.test(sqlStateOf(cur))) return true;
    if (CUT.test(cur.message)) return true;
    // Several connection attempts at once (happy eyeballs): any one refused says the same.
    if (cur instanceof AggregateError && cur.errors.some((x) => isDatabaseUnavailable(x))) return true;
  }
  return false;
}
