/**
 * Which documented REST operation a request exercised. Every REST call a test
 * makes through `server.call` is recorded under .data/operations/, and the
 * summary reporter fails a full run in which some operation in the OpenAPI
 * document was never called.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const dir = join(root, ".data/operations");

interface Operation {
  id: string;
  method: string;
  pattern: RegExp;
  literals: number;
}

let operations: Operation[] | undefined;

/** The spec's operations with a matcher for each path template. */
export function specOperations(): Operation[] {
  if (!operations) {
    const spec = JSON.parse(readFileSync(join(root, "gen/openapi/openapi.json"), "utf8")) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    operations = [];
    for (const [path, item] of Object.entries(spec.paths)) {
      const source = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "(.+)");
      for (const [method, op] of Object.entries(item)) {
        operations.push({
          id: op.operationId,
          method: method.toUpperCase(),
          pattern: new RegExp(`^${source}$`),
          literals: path.replace(/\{[^}]+\}/g, "").length,
        });
      }
    }
    // Most literal text first, as the server prefers literal segments.
    operations.sort((a, b) => b.literals - a.literals);
  }
  return operations;
}

/** The operation id a REST request targets, if any. */
export function operationOf(method: string, path: string): string | undefined {
  const bare = path.split("?")[0];
  return specOperations().find((o) => o.method === method.toUpperCase() && o.pattern.test(bare))?.id;
}

/** Records that this process exercised an operation. */
export function recordOperation(method: string, path: string): void {
  const id = operationOf(method, path);
  if (!id) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${process.pid}.txt`), `${id}\n`);
}

/** Every operation id recorded by any test process, then forgets them. */
export function collectRecorded(): Set<string> {
  const seen = new Set<string>();
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    return seen;
  }
  for (const f of files) for (const line of readFileSync(join(dir, f), "utf8").split("\n")) if (line) seen.add(line);
  return seen;
}

/** Clears the records before a run. */
export function resetRecorded(): void {
  rmSync(dir, { recursive: true, force: true });
}
