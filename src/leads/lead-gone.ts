/** The engine's signal that a lead left `routing` under it (lr.engine_claim, lr.engine_write: SQLSTATE LRGON). */
import { sqlStateOf } from "../db/sql-state.ts";

/** True when e is that signal. */
export function isLeadGone(e: unknown): boolean {
  return sqlStateOf(e) === "LRGON";
}
