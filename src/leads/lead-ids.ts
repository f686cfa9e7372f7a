/** Checking the lead ids a request names: a UUID or a short id (LD-XXXXXX). */
import { isUuid, type Violations } from "../standard/violations.ts";
import { isShortId } from "./short-id.ts";

const shape = "must be a lead id (UUID) or short id (LD-XXXXXX)";

/** True for a lead's UUID or short id. */
export function isLeadId(id: string): boolean {
  return isUuid(id) || isShortId(id);
}

/** Adds a violation unless id names a lead. */
export function checkLeadId(v: Violations, field: string, id: string): void {
  if (id === "") v.add(field, "is required");
  else if (!isLeadId(id)) v.add(field, shape);
}

/** Checks a batch's lead ids: 1 to 100, each an id or short id, none repeated. */
export function checkLeadIds(v: Violations, ids: readonly string[], field = "leadIds"): void {
  if (ids.length === 0) v.add(field, "name at least one lead");
  if (ids.length > 100) v.add(field, "at most 100 leads");
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (!isLeadId(id)) v.add(`${field}[${i}]`, shape);
    else if (seen.has(id.toLowerCase())) v.add(`${field}[${i}]`, "is repeated");
    seen.add(id.toLowerCase());
  });
}
