/**
 * The signal that a lead is no longer routing under this process: the
 * sweeper ended it, or another process finished it (lr.engine_claim and
 * lr.engine_write raise SQLSTATE LRGON and change nothing).
 */
import { sqlStateOf } from "../db/sql-state.ts";

/** True when e is that signal. */
export function isRoutingEnded(e: unknown): boolean {
  return sqlStateOf(e) === "LRGON";
}
