/** Who may see a lead's events besides the tenant's admins, where the emitting code does not already know. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";

/** The buyers that bought the lead: a change to the lead concerns each of them. */
export async function buyersOf(tx: Tx, leadId: string): Promise<string[]> {
  const rows = await tx.anyFirst(sql.unsafe`SELECT DISTINCT buyer_id FROM lead_sales WHERE lead_id = ${leadId}`);
  return rows.map(String);
}
