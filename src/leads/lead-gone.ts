/** The engine's signal that a lead left `routing` under it (lr.engine_claim, lr.engine_write: SQLSTATE LRGON). */
export function isLeadGone(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code;
  return code === "LRGON";
}
