/** BatchGet rules shared by every resource (AIP-231): at most 100 ids, all must exist. */
import type { Tx } from "../db/tenant-tx.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import type { Table } from "./table.ts";
import { isUuid } from "./violations.ts";

/** Fetches the rows for ids in the order asked, or fails naming the first bad or missing id. */
export async function batchGet<R extends { id: string }>(tx: Tx, t: Table<R>, kind: string, ids: readonly string[]): Promise<R[]> {
  if (ids.length === 0) throw invalidArgument([{ field: "ids", description: "name at least one id" }]);
  if (ids.length > 100) throw invalidArgument([{ field: "ids", description: "at most 100 ids" }]);
  const bad = ids.map((id, i) => ({ id, i })).filter(({ id }) => !isUuid(id));
  if (bad.length > 0) throw invalidArgument(bad.map(({ i }) => ({ field: `ids[${i}]`, description: "must be a UUID" })));
  const rows = await t.getMany(
    tx,
    ids.map((id) => id.toLowerCase()),
  );
  if (rows.length !== ids.length) {
    const found = new Set(rows.map((r) => r.id));
    throw notFound(kind, ids.find((id) => !found.has(id.toLowerCase())) ?? "");
  }
  return rows;
}
