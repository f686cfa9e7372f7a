/**
 * Is a lead suppressed? The question the lead engine asks for a campaign's
 * lists and contract :testMatch asks for a contract's. One query answers it
 * for every list at once, whatever each list's kind.
 */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { digest, type ListKind, normaliseEmail, normalisePhone } from "./normalise.ts";

/** The contact details of a lead that suppression lists match on. */
export interface SuppressionContact {
  email?: string;
  phone?: string;
}

/** The (kind, value) pairs a lead's contact can match: plain values and their digests. */
function candidates(contact: SuppressionContact): { kinds: ListKind[]; values: string[] } {
  const email = contact.email ? normaliseEmail(contact.email) : undefined;
  const phone = contact.phone ? normalisePhone(contact.phone) : undefined;
  const pairs: [ListKind, string][] = [];
  if (email) pairs.push(["email", email]);
  if (phone) pairs.push(["phone", phone]);
  for (const plain of [email, phone]) {
    if (plain) pairs.push(["md5", digest("md5", plain)], ["sha256", digest("sha256", plain)]);
  }
  return { kinds: pairs.map(([k]) => k), values: pairs.map(([, v]) => v) };
}

/**
 * The ids of the live lists among listIds that hold the lead's email or
 * phone (or their digest). The transaction's claims must be allowed to read
 * suppression lists (admin); other roles see no entries, so nothing matches.
 */
export async function suppressingLists(tx: Tx, listIds: readonly string[], contact: SuppressionContact): Promise<string[]> {
  const { kinds, values } = candidates(contact);
  if (listIds.length === 0 || values.length === 0) return [];
  const rows = (await tx.any(sql.unsafe`
    SELECT DISTINCT l.id FROM suppression_lists l
    JOIN unnest(${sql.array(kinds, "text")}, ${sql.array(values, "text")}) AS c(kind, value) ON c.kind = l.kind
    JOIN suppression_entries e ON e.list_id = l.id AND e.value = c.value
    WHERE l.id = ANY(${sql.array(listIds as string[], "uuid")}) AND l.deleted_at IS NULL
    ORDER BY l.id`)) as readonly { id: string }[];
  return rows.map((r) => r.id);
}

/** True when any of the live lists among listIds holds the lead's email or phone (or their digest). */
export async function isSuppressed(tx: Tx, listIds: readonly string[], contact: SuppressionContact): Promise<boolean> {
  return (await suppressingLists(tx, listIds, contact)).length > 0;
}
