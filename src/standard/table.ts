/**
 * The standard methods' SQL, shared by every resource: get, batch get, keyset
 * list, insert, partial update and delete on one tenant-owned table. Row-level
 * security does the tenant filtering; these queries never need a tenant_id.
 */
import {
  ForeignKeyIntegrityConstraintViolationError,
  sql,
  UniqueIntegrityConstraintViolationError,
  type FragmentSqlToken,
  type ValueExpression,
} from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { alreadyExists, failedPrecondition } from "../pipeline/errors.ts";
import type { Orderable, Page } from "./pagination.ts";

/** How a column's value is sent to Postgres. */
export type ColumnType = "text" | "text[]" | "jsonb" | "uuid" | "int" | "numeric" | "bool" | "timestamptz";

/** A resource table: its columns and what a unique violation means to a client. */
export interface TableSpec {
  name: string;
  columns: Record<string, ColumnType>;
  orderable: Orderable;
  /** Unique constraint name → the JSON field a client should fix. */
  unique?: Record<string, string>;
  /** Deleted rows keep existing (deleted_at is set) and vanish from every read. */
  softDelete?: boolean;
  /** False for a table without an updated_at column (its rows record no time of change). */
  updatedAt?: boolean;
}

/** Values to write, by column name. */
export type Values = Record<string, unknown>;

function token(type: ColumnType, v: unknown): ValueExpression {
  if (v === null || v === undefined) return null;
  if (type === "text[]") return sql.array(v as string[], "text");
  if (type === "jsonb") return sql.jsonb(v as never);
  return v as ValueExpression;
}

/** The standard data access for one table. */
export interface Table<R> {
  spec: TableSpec;
  get(tx: Tx, id: string, lock?: boolean): Promise<R | null>;
  getMany(tx: Tx, ids: readonly string[]): Promise<R[]>;
  /** The live row whose column holds value (a unique column, such as an external reference). */
  getBy(tx: Tx, column: string, value: string): Promise<R | null>;
  list(tx: Tx, where: FragmentSqlToken[], page: Page): Promise<(R & { _cursor: string })[]>;
  insert(tx: Tx, values: Values): Promise<R>;
  update(tx: Tx, id: string, values: Values): Promise<R | null>;
  remove(tx: Tx, id: string): Promise<R | null>;
}

/** Builds the standard queries for a table. */
export function table<R extends { id: string }>(spec: TableSpec): Table<R> {
  const t = sql.identifier([spec.name]);
  const live = spec.softDelete ? sql.fragment`deleted_at IS NULL` : sql.fragment`TRUE`;
  const typeOf = (col: string): ColumnType => {
    const type = spec.columns[col];
    if (!type) throw new Error(`${spec.name} has no column ${col}`);
    return type;
  };
  const mapError = (e: unknown): never => {
    if (e instanceof UniqueIntegrityConstraintViolationError) {
      const field = (e.constraint && spec.unique?.[e.constraint]) ?? "id";
      throw alreadyExists(field, `a ${spec.name.replace(/s$/, "")} with this ${field} already exists`);
    }
    if (e instanceof ForeignKeyIntegrityConstraintViolationError) {
      throw failedPrecondition(`other records still refer to this ${spec.name.replace(/s$/, "")}`);
    }
    throw e;
  };
  return {
    spec,
    async get(tx, id, lock = false) {
      const forUpdate = lock ? sql.fragment`FOR UPDATE` : sql.fragment``;
      return (await tx.maybeOne(sql.unsafe`SELECT * FROM ${t} WHERE id = ${id} AND ${live} ${forUpdate}`)) as R | null;
    },
    async getMany(tx, ids) {
      const rows = (await tx.any(
        sql.unsafe`SELECT * FROM ${t} WHERE id = ANY(${sql.array(ids as string[], "uuid")}) AND ${live}`,
      )) as readonly R[];
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id)).filter((r): r is R => r !== undefined);
    },
    async getBy(tx, column, value) {
      typeOf(column);
      return (await tx.maybeOne(sql.unsafe`SELECT * FROM ${t} WHERE ${sql.identifier([column])} = ${value} AND ${live}`)) as R | null;
    },
    async list(tx, where, page) {
      const conditions = sql.join([...where, live, page.afterSql], sql.fragment` AND `);
      return (await tx.any(sql.unsafe`
        SELECT *, ${page.cursorSql} FROM ${t} WHERE ${conditions}
        ORDER BY ${page.orderSql} LIMIT ${page.size + 1}`)) as (R & { _cursor: string })[];
    },
    async insert(tx, values) {
      const cols = Object.keys(values);
      const names = sql.join(
        cols.map((c) => sql.identifier([c])),
        sql.fragment`, `,
      );
      const vals = sql.join(
        cols.map((c) => sql.fragment`${token(typeOf(c), values[c])}`),
        sql.fragment`, `,
      );
      try {
        return (await tx.one(sql.unsafe`INSERT INTO ${t} (${names}) VALUES (${vals}) RETURNING *`)) as R;
      } catch (e) {
        return mapError(e);
      }
    },
    async update(tx, id, values) {
      const sets = Object.keys(values).map((c) => sql.fragment`${sql.identifier([c])} = ${token(typeOf(c), values[c])}`);
      if (spec.updatedAt !== false) sets.push(sql.fragment`updated_at = now()`);
      if (sets.length === 0) return (await tx.maybeOne(sql.unsafe`SELECT * FROM ${t} WHERE id = ${id} AND ${live}`)) as R | null;
      try {
        return (await tx.maybeOne(sql.unsafe`
          UPDATE ${t} SET ${sql.join(sets, sql.fragment`, `)} WHERE id = ${id} AND ${live} RETURNING *`)) as R | null;
      } catch (e) {
        return mapError(e);
      }
    },
    async remove(tx, id) {
      try {
        const query = spec.softDelete
          ? sql.unsafe`UPDATE ${t} SET deleted_at = now(), updated_at = now() WHERE id = ${id} AND ${live} RETURNING *`
          : sql.unsafe`DELETE FROM ${t} WHERE id = ${id} RETURNING *`;
        return (await tx.maybeOne(query)) as R | null;
      } catch (e) {
        return mapError(e);
      }
    },
  };
}
