/** The performance report's order_by, and the refusal of filters a report's rollup does not keep. */
import { invalidArgument } from "../pipeline/errors.ts";
import { measureColumns } from "./measures.ts";
import type { ReportFilter } from "./params.ts";
import { type Rollup, unkept } from "./sources.ts";

/** A validated order: a measure's column (or key, label) and the direction. */
export interface ReportOrder {
  column: string;
  desc: boolean;
}

const orderable = new Set<string>([...measureColumns, "key", "label"]);

/** Reads `<measure>[ asc| desc]`; measures may be named in snake_case or lowerCamelCase (`returnedAmount`). */
export function orderOf(orderBy: string, byDefault: string): ReportOrder {
  const text = (orderBy.trim() || byDefault).replace(/\s+/g, " ");
  const m = /^([A-Za-z_]+)( asc| desc)?$/i.exec(text);
  const column = m ? m[1].replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).toLowerCase() : "";
  if (!m || !orderable.has(column)) {
    throw invalidArgument([
      { field: "orderBy", description: `must be one of ${[...orderable].join(", ")}, optionally followed by " desc"` },
    ]);
  }
  return { column, desc: m[2]?.toLowerCase() === " desc" };
}

/** Refuses (400 naming each) the filters a report's rollup does not keep. */
export function refuseUnkept(r: Rollup, f: ReportFilter, report: string): void {
  const bad = unkept(r, f);
  if (bad.length > 0) throw invalidArgument(bad.map((field) => ({ field, description: `is not kept for ${report}` })));
}
