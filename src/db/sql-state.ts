/** The SQLSTATE of a database error, whether slonik wrapped the driver's error or passed it through; "" otherwise. */
export function sqlStateOf(e: unknown): string {
  return (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code ?? "";
}
