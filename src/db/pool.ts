/**
 * Connection pools. The server queries as the application role (subject to
 * row-level security); only migrations use the owner connection.
 */
import { createPool, type DatabasePool } from "slonik";

/** Postgres values the way the API needs them: money stays a decimal string. */
const typeParsers = [
  { name: "timestamptz", parse: (v: string) => new Date(v) },
  { name: "timestamp", parse: (v: string) => new Date(`${v}Z`) },
  { name: "int8", parse: (v: string) => Number.parseInt(v, 10) },
];

/** Opens a pool on the given URL. */
export async function openPool(url: string, maximumPoolSize: number): Promise<DatabasePool> {
  // The lead engine's named statements (src/db/prepared.ts) are simple keyed lookups whose custom plans never
  // beat the generic one; planning them on every execution (the default's first five, and whenever it hesitates)
  // cost more than running them under row-level security.
  const withOptions = new URL(url);
  if (!withOptions.searchParams.has("options")) withOptions.searchParams.set("options", "-c plan_cache_mode=force_generic_plan");
  return createPool(withOptions.toString(), {
    maximumPoolSize,
    typeParsers,
    captureStackTrace: false,
    statementTimeout: 30_000,
    idleInTransactionSessionTimeout: 60_000,
    // Nothing outlives a transaction (claims are set with set_config(..., true), locks are transaction-scoped),
    // so a returned connection needs no DISCARD ALL: it would cost a round trip per use and drop every
    // cached plan of the PL/pgSQL functions the lead engine calls.
    resetConnection: async () => {},
  });
}

/** The application-role URL: DATABASE_APP_URL, or the owner URL with the app role's credentials. */
export function appUrlFrom(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = "lead_router_app";
  url.password = password;
  return url.toString();
}
