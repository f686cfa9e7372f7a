/**
 * Paging of report rows. Report rows are aggregates ordered by any measure,
 * with no stable id to key on, so a page token carries the offset, signed
 * and bound to the tenant and the exact query (period, filters, grouping,
 * order) it was issued for, like the resources' keyset tokens
 * (src/standard/pagination.ts).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { invalidArgument } from "../pipeline/errors.ts";
import type { PageTokenSettings } from "../standard/pagination.ts";

/** A page of report rows: how many, from where, and how to name the next one. */
export interface ReportPage {
  size: number;
  offset: number;
  /** The token of the page after `offset + size`. */
  next(): string;
}

const badToken = () => invalidArgument([{ field: "pageToken", description: "is not a token this query issued" }]);

function mac(secret: Buffer, payload: string): string {
  return createHmac("sha256", secret).update(payload).digest("base64url").slice(0, 32);
}

/** Reads page_size and page_token for a query (its fingerprint is any JSON-able value that identifies it). */
export function reportPage(
  settings: PageTokenSettings,
  req: { pageSize: number; pageToken: string },
  tenantId: string,
  query: unknown,
): ReportPage {
  if (req.pageSize < 0 || req.pageSize > 500) {
    throw invalidArgument([{ field: "pageSize", description: "must be between 1 and 500 (0 means the default, 50)" }]);
  }
  const size = req.pageSize || 50;
  const bound = createHash("sha256")
    .update(JSON.stringify([tenantId, query]))
    .digest("base64url")
    .slice(0, 16);
  let offset = 0;
  if (req.pageToken) {
    const [payload, sig] = req.pageToken.split(".");
    const expected = Buffer.from(mac(settings.pageTokenSecret, payload ?? ""));
    if (!payload || !sig || expected.length !== sig.length || !timingSafeEqual(expected, Buffer.from(sig))) throw badToken();
    const [q, at] = Buffer.from(payload, "base64url").toString().split(":");
    offset = Number(at);
    if (q !== bound || !Number.isSafeInteger(offset) || offset < 0) throw badToken();
  }
  return {
    size,
    offset,
    next() {
      const payload = Buffer.from(`${bound}:${offset + size}`).toString("base64url");
      return `${payload}.${mac(settings.pageTokenSecret, payload)}`;
    },
  };
}
