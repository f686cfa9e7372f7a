/**
 * Named prepared statements for the lead engine's hot path. Postgres parses
 * and plans an unnamed statement on every execution, and with row-level
 * security policies on every table that planning cost more than running the
 * queries; a named statement is parsed once per connection and, after a few
 * executions, runs a cached generic plan. A name must always carry the same
 * SQL text, so a query whose text varies takes the variant into its name.
 * Only for pools made by openPool: a connection reset between uses (slonik's
 * default DISCARD ALL) would drop the statements the driver believes exist.
 */
import { type ValueExpression, sql } from "slonik";

// slonik wants a result schema with a prepared statement; it only passes it on to interceptors (we run none).
const rows = { "~standard": { version: 1, vendor: "lead-router", validate: (value: unknown) => ({ value }) } } as const;

/** A template tag for the statement `name` ("lr_" is prefixed). */
export function prepared(name: string): (template: TemplateStringsArray, ...values: ValueExpression[]) => ReturnType<typeof sql.unsafe> {
  return sql.prepared(`lr_${name}`, rows) as never;
}
