/** The SQLSTATE of a database error, whether slonik wrapped the driver's error or passed it through; "" otherwise. */
export function sqlStateOf(e: unknown): string {
  return (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code ?? "";
}

/** The constraint a database error names (a unique or foreign-key violation), wherever the driver put it; "" otherwise. */
export function constraintOf(e: unknown): string {
  return (e as { constraint?: string }).constraint ?? (e as { cause?: { constraint?: string } }).cause?.constraint ?? "";
}
