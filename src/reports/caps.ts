/**
 * The cap report: each capped contract's caps in their current windows, on
 * the buyer's clock. Read from contract_cap_counters, which holds only the
 * counters of recent windows (small and current), with the same usage rules
 * as GetContractCapUsage (src/contracts/caps.ts). Buyer keys see their own
 * contracts (row-level security on contracts and counters).
 */
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { sql } from "slonik";
import { type ContractCap, ContractCapSchema } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { type CapUsage, type Counter, periods, usageOf, windowOf } from "../contracts/caps.ts";
import type { Period } from "../contracts/windows.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { ReportPage } from "./page.ts";

/** One contract of the cap report. */
export interface ContractCaps {
  id: string;
  name: string;
  buyerId: string;
  usage: CapUsage[];
  totalRows: number;
}

interface ContractRow {
  id: string;
  name: string;
  buyer_id: string;
  caps: JsonValue[];
  timezone: string;
  total_rows: number;
}

/** One page of the live contracts that have caps, by name, with their usage at `at`. */
export async function capReport(tx: Tx, tenantId: string, buyerId: string, page: ReportPage, at: Date): Promise<ContractCaps[]> {
  const contracts = (await tx.any(sql.unsafe`
    SELECT c.id, c.name, c.buyer_id, c.caps, coalesce(b.timezone, 'UTC') AS timezone, count(*) OVER ()::int AS total_rows
    FROM contracts c LEFT JOIN buyers b ON b.id = c.buyer_id
    WHERE c.tenant_id = ${tenantId}::uuid AND c.deleted_at IS NULL AND jsonb_array_length(c.caps) > 0
      ${buyerId ? sql.fragment`AND c.buyer_id = ${buyerId}::uuid` : sql.fragment``}
    ORDER BY c.name, c.id LIMIT ${page.size} OFFSET ${page.offset}`)) as unknown as ContractRow[];
  if (contracts.length === 0) return [];
  const counters = (await tx.any(sql.unsafe`
    SELECT contract_id, period, window_start, leads::text AS leads, spend::text AS spend FROM contract_cap_counters
    WHERE contract_id = ANY (${sql.array(
      contracts.map((c) => c.id),
      "uuid",
    )})`)) as unknown as ({ contract_id: string; period: Period; window_start: Date } & Counter)[];
  return contracts.map((c) => {
    const windows = new Map(periods.map((p) => [p, windowOf(p, at, c.timezone)]));
    const current = new Map<Period, Counter>();
    for (const k of counters) {
      if (k.contract_id === c.id && k.window_start.getTime() === windows.get(k.period)?.start.getTime()) current.set(k.period, k);
    }
    const caps: ContractCap[] = c.caps.map((x) => fromJson(ContractCapSchema, x, { ignoreUnknownFields: true }));
    return { id: c.id, name: c.name, buyerId: c.buyer_id, usage: usageOf(caps, current, windows), totalRows: c.total_rows };
  });
}
