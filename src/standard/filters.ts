/** WHERE fragments shared by list methods. */
import { sql, type FragmentSqlToken } from "slonik";

/** `status = …` when the request names a status (the enum's zero value means any). */
export function statusIs(status: string | undefined): FragmentSqlToken[] {
  return status ? [sql.fragment`status = ${status}`] : [];
}

/** Rows carrying every one of the tags. */
export function hasTags(tags: readonly string[]): FragmentSqlToken[] {
  return tags.length > 0 ? [sql.fragment`tags @> ${sql.array(tags as string[], "text")}`] : [];
}
