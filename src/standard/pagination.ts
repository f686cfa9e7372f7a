/**
 * Keyset pagination with opaque, signed page tokens. A token names the
 * tenant, the sort order and the filters it was issued for, so it can be
 * neither forged nor replayed against another tenant or another query.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { sql, type FragmentSqlToken } from "slonik";
import { invalidArgument } from "../pipeline/errors.ts";

/** Sortable columns of a resource: order_by name → column and its SQL type. */
export type Orderable = Record<string, { column: string; type: string }>;

/** The sort orders most resources offer: by creation, by last change, by name. */
export const timesAndName: Orderable = {
  created_at: { column: "created_at", type: "timestamptz" },
  updated_at: { column: "updated_at", type: "timestamptz" },
  name: { column: "name", type: "text" },
};

/** What a list query needs to fetch one page. */
export interface Page {
  size: number;
  orderSql: FragmentSqlToken;
  afterSql: FragmentSqlToken;
  cursorSql: FragmentSqlToken;
  /** Builds the next page's token from the last row's cursor and id. */
  next: (cursor: string, id: string) => string;
}

interface TokenBody {
  t: string;
  o: string;
  f: string;
  c: string;
  i: string;
}

function sign(secret: Buffer, payload: string): string {
  return createHmac("sha256", secret).update(payload).digest("base64url").slice(0, 32);
}

function fingerprint(filters: unknown): string {
  return createHash("sha256").update(JSON.stringify(filters)).digest("base64url").slice(0, 16);
}

const badToken = () => invalidArgument([{ field: "pageToken", description: "is not a token this query issued" }]);

/** What paging needs of the server's settings: the secret tokens are signed with (the settings table's page_token_secret). */
export interface PageTokenSettings {
  pageTokenSecret: Buffer;
}

/** Parses page_size, page_token and order_by into a Page, validating each. */
export function pageOf(
  settings: PageTokenSettings,
  req: { pageSize: number; pageToken: string; orderBy: string },
  tenantId: string,
  orderable: Orderable,
  filters: unknown,
  defaultOrder = "created_at desc",
): Page {
  if (req.pageSize < 0 || req.pageSize > 500) {
    throw invalidArgument([{ field: "pageSize", description: "must be between 1 and 500 (0 means the default, 50)" }]);
  }
  const size = req.pageSize || 50;
  const orderText = (req.orderBy.trim() || defaultOrder).replace(/\s+/g, " ").toLowerCase();
  const m = /^([a-z_]+)( asc| desc)?$/.exec(orderText);
  const spec = m ? orderable[m[1]] : undefined;
  if (!m || !spec) {
    throw invalidArgument([
      { field: "orderBy", description: `must be one of ${Object.keys(orderable).join(", ")}, optionally followed by " desc"` },
    ]);
  }
  const desc = m[2] === " desc";
  const order = `${m[1]}${desc ? " desc" : ""}`;
  const f = fingerprint(filters);
  const col = sql.identifier([spec.column]);
  const dir = desc ? sql.fragment`DESC` : sql.fragment`ASC`;
  let afterSql = sql.fragment`TRUE`;
  if (req.pageToken) {
    const body = decode(settings.pageTokenSecret, req.pageToken);
    if (!body || body.t !== tenantId || body.o !== order || body.f !== f) throw badToken();
    const cmp = desc ? sql.fragment`<` : sql.fragment`>`;
    afterSql = sql.fragment`(${col}, id) ${cmp} (CAST(${body.c} AS ${sql.identifier([spec.type])}), ${body.i}::uuid)`;
  }
  return {
    size,
    orderSql: sql.fragment`${col} ${dir}, id ${dir}`,
    afterSql,
    cursorSql: sql.fragment`${col}::text AS _cursor`,
    next: (c, i) => encode(settings.pageTokenSecret, { t: tenantId, o: order, f, c, i }),
  };
}

function encode(secret: Buffer, body: TokenBody): string {
  const payload = Buffer.from(JSON.stringify(body)).toString("base64url");
  return `${payload}.${sign(secret, payload)}`;
}

function decode(secret: Buffer, token: string): TokenBody | undefined {
  const [payload, mac] = token.split(".");
  if (!payload || !mac) return undefined;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, "base64url").toString()) as TokenBody;
  } catch {
    return undefined;
  }
}

/** Splits the fetched rows (size + 1) into the page and the pagination block. */
export function paginate<R extends { _cursor: string; id: string }>(
  rows: R[],
  page: Page,
): { rows: R[]; pagination: { nextPageToken: string; pageSize: number } } {
  const more = rows.length > page.size;
  const pageRows = more ? rows.slice(0, page.size) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    rows: pageRows,
    pagination: { nextPageToken: more && last ? page.next(last._cursor, last.id) : "", pageSize: page.size },
  };
}
