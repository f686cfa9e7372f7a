/**
 * What every answer of the sweep must be, and the counts the sweep reports.
 * An answer breaks the rules when it is a 5xx or no answer at all, when an
 * error is not the `{ "error": { code, message, details } }` envelope with
 * an `X-Request-Id`, when it misses the case's expected status or named
 * field, or when it shows tenant A anything of tenant B.
 */
import type { SweepResult } from "./sweep-client.ts";
import type { Victim } from "./sweep-tenants.ts";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

interface Envelope {
  error?: { code?: unknown; message?: unknown; details?: { "@type"?: string; fieldViolations?: { field: string }[] }[] };
}

function parse(text: string): Envelope | undefined {
  try {
    return JSON.parse(text) as Envelope;
  } catch {
    return undefined;
  }
}

function header(r: SweepResult, name: string): string {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(", ") : (v ?? "");
}

/** The fields the error's google.rpc.BadRequest names. */
export function namedFields(body: Envelope | undefined): string[] {
  return (body?.error?.details ?? []).flatMap((d) => (d.fieldViolations ?? []).map((v) => v.field));
}

/** What is wrong with one answer (empty when nothing is); `sentBy` tells whether tenant A's key (or none) sent it. */
export function problemsOf(r: SweepResult, victim: Victim, sentByTenantA: boolean): string[] {
  const c = r.c;
  const where = `${c.op.id} [${c.kind}] ${c.method} ${c.url.slice(0, 120)} → ${r.status}`;
  const out: string[] = [];
  if (r.status === 0 || r.status >= 500) out.push(`${where}: ${r.text.slice(0, 200)}`);
  if (r.status >= 300) {
    const body = parse(r.text);
    const e = body?.error;
    if (!e || typeof e.code !== "string" || typeof e.message !== "string" || !Array.isArray(e.details)) {
      out.push(`${where}: not the error envelope: ${r.text.slice(0, 200)}`);
    }
    if (!/^application\/json/.test(header(r, "content-type"))) out.push(`${where}: content-type ${header(r, "content-type")}`);
    if (header(r, "x-request-id") === "") out.push(`${where}: no X-Request-Id`);
    if (c.field !== undefined && !namedFields(body).includes(c.field)) {
      out.push(`${where}: does not name ${c.field} (names ${JSON.stringify(namedFields(body))}: ${r.text.slice(0, 160)})`);
    }
  }
  const statusOk =
    c.expect === "4xx" ? r.status >= 400 && r.status < 500 : c.expect === "no-5xx" ? r.status > 0 && r.status < 500 : r.status === c.expect;
  if (!statusOk) out.push(`${where}: expected ${c.expect}: ${r.text.slice(0, 200)}`);
  if (sentByTenantA) {
    const sent = `${c.url} ${c.body ?? ""}`.toLowerCase();
    for (const s of victim.secrets) if (r.text.includes(s)) out.push(`${where}: shows tenant B's ${s.slice(0, 12)}…`);
    for (const m of r.text.matchAll(UUID)) {
      const id = m[0].toLowerCase();
      if (victim.ownIds.has(id) && !sent.includes(id)) out.push(`${where}: shows tenant B's id ${id}`);
    }
  }
  return out;
}

/** Counts by a key, as a sorted plain object for printing. */
export function histogram<T>(items: T[], key: (t: T) => string | number): Record<string, number> {
  const counts = new Map<string, number>();
  for (const t of items) counts.set(String(key(t)), (counts.get(String(key(t))) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
}
