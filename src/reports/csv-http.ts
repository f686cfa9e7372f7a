/**
 * CSV export of any report: `GET /api/v1/reports/<report>.csv?<the same
 * query>`. The report's REST route is called through the same pipeline as
 * its JSON (authentication, roles, rate limit, tenant transaction and
 * row-level security), so the CSV holds exactly what the JSON holds. Paged
 * reports are followed page by page (500 rows a call unless pageSize says
 * otherwise) and each page is
 * written as it arrives, so an export of any length streams in bounded
 * memory. Errors before the first byte answer the JSON error envelope; a
 * failure mid-stream aborts the response, so a cut export never looks whole.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { ContextValues } from "@connectrpc/connect";
import { type Rest, writeError } from "../rest/handler.ts";
import { csvShapes, csvWriter } from "./csv.ts";

const SUFFIX = ".csv";
const PREFIX = "/api/v1/reports/";

/** True for a path the CSV export serves (a report's REST path plus `.csv`). */
export function isReportCsvPath(path: string): boolean {
  return path.startsWith(PREFIX) && path.endsWith(SUFFIX);
}

/** The RPC a CSV path exports, if it is a report's: `ReportService/GetSummaryReport`. */
export function reportCsvOperation(rest: Rest, method: string, path: string): string | undefined {
  const m = rest.match(method, path.slice(0, -SUFFIX.length));
  if (!("route" in m) || m.route.method.parent.typeName !== "leadrouter.v1.ReportService") return undefined;
  return `${m.route.method.parent.typeName}/${m.route.method.name}`;
}

/** Serves one CSV export; anything that is not a report's GET is handed to the REST surface (its 404 / 405). */
export async function serveReportCsv(
  rest: Rest,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  values: ContextValues,
): Promise<void> {
  const m = rest.match(req.method ?? "GET", url.pathname.slice(0, -SUFFIX.length));
  const shape = "route" in m ? csvShapes.get(m.route.method.name) : undefined;
  if (!("route" in m) || !shape || m.route.method.parent.typeName !== "leadrouter.v1.ReportService") {
    // A report's path with another method is its 405 (Allow: GET); anything else answers as the REST surface would.
    const wrongMethod = "status" in m && m.status === 405;
    await rest.serve(req, res, url, values, wrongMethod ? m : rest.match(req.method ?? "GET", url.pathname));
    return;
  }
  const query = new URLSearchParams(url.searchParams);
  // The export holds every row from the first page on; pageSize only sets how many rows each call fetches.
  if (shape.paged && !query.has("pageSize")) query.set("pageSize", "500");
  let outcome = await rest.invoke(req, res, m.route, m.vars, query, values);
  if ("error" in outcome) {
    writeError(res, outcome.error, outcome.headers);
    return;
  }
  for (const [k, v] of outcome.headers) res.setHeader(k, v);
  const name = url.pathname.slice(PREFIX.length).replace(/[^\w.-]/g, "_");
  res.writeHead(200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}"` });
  const writer = csvWriter(shape);
  // Settled by the writer's end (or by the abort below, whose error the catch handles).
  const done = pipeline(writer, res).catch(() => undefined);
  try {
    for (;;) {
      for (const row of shape.rows(outcome.json)) {
        if (!writer.write(row)) await new Promise((resolve) => writer.once("drain", resolve));
      }
      const token = shape.paged ? ((outcome.json.pagination as { nextPageToken?: string } | undefined)?.nextPageToken ?? "") : "";
      if (token === "" || res.destroyed) break;
      query.set("pageToken", token);
      outcome = await rest.invoke(req, res, m.route, m.vars, query, values);
      if ("error" in outcome) throw outcome.error;
    }
    writer.end();
    await done;
  } catch (e) {
    writer.destroy();
    res.destroy(e instanceof Error ? e : undefined);
  }
}
