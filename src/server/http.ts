/**
 * Step 1 of the pipeline and the dispatch of every request: request id in
 * and out, access log and metrics, then the operational endpoints, the
 * contract and docs, the RPC protocols, and the REST surface.
 */
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { uuidv7 } from "uuidv7";
import { isReportCsvPath, reportCsvOperation, serveReportCsv } from "../reports/csv-http.ts";
import type { Rest } from "../rest/handler.ts";
import { serveRpc } from "./connect-adapter.ts";
import { loadAssets } from "./docs.ts";
import type { Handler } from "./listener.ts";
import type { Metrics } from "./metrics.ts";
import { callContext, type Rpc } from "./rpc.ts";
import { SANDBOX_BUYER_PATH, serveSandboxBuyer } from "./sandbox-buyer.ts";

/** What the dispatcher needs. */
export interface HttpDeps {
  log: Logger;
  rpc: Rpc;
  rest: Rest;
  metrics: Metrics;
  ready: () => Promise<boolean>;
  draining: () => boolean;
  /** The base URL clients reach the server at, which the served OpenAPI document names. */
  publicUrl: () => string;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function protocolOf(contentType: string): string {
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/**
 * The request target as a URL, never throwing: an origin-form target is a
 * path even when it starts with "//" ("//[" is not an authority), and any
 * other target that is no URL reads as "/", where no operation is served.
 */
function requestUrl(target: string): URL {
  try {
    return target.startsWith("/") ? new URL(`http://localhost${target}`) : new URL(target, "http://localhost");
  } catch {
    return new URL("http://localhost/");
  }
}

/** The request handler for both HTTP versions. */
export function createHttpHandler(deps: HttpDeps): Handler {
  const assets = loadAssets(deps.publicUrl);
  return (req, res) => {
    const started = performance.now();
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : uuidv7();
    res.setHeader("x-request-id", requestId);
    req.headers["x-request-id"] = requestId;
    const url = requestUrl(req.url ?? "/");
    const path = url.pathname;
    let operation = "unmatched";
    let protocol = "http";
    res.once("finish", () => {
      const ms = performance.now() - started;
      deps.metrics.observe(operation, protocol, res.statusCode, ms / 1000);
      deps.log.info(
        {
          requestId,
          method: req.method,
          path,
          operation,
          protocol,
          status: res.statusCode,
          ms: Math.round(ms * 100) / 100,
          http: req.httpVersion,
        },
        "request",
      );
    });
    const fail = (e: unknown) => {
      deps.log.error({ err: e, requestId }, "request failed");
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "internal", message: "internal error", details: [] } }));
      } else res.end();
    };
    try {
      if (path === "/healthz") {
        operation = "healthz";
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
        return;
      }
      if (path === "/readyz") {
        operation = "readyz";
        deps
          .ready()
          // A database that cannot be reached makes the process not ready (503), not broken (500).
          .catch(() => false)
          .then((ok) => {
            const ready = ok && !deps.draining();
            res.writeHead(ready ? 200 : 503, { "content-type": "application/json" });
            res.end(JSON.stringify({ status: ready ? "ready" : "unavailable" }));
          })
          .catch(fail);
        return;
      }
      if (path === "/metrics") {
        operation = "metrics";
        deps.metrics.registry
          .metrics()
          .then((text) => res.writeHead(200, { "content-type": deps.metrics.registry.contentType }).end(text))
          .catch(fail);
        return;
      }
      if (path === SANDBOX_BUYER_PATH) {
        operation = "sandbox_buyer";
        serveSandboxBuyer(req, res);
        return;
      }
      const asset = assets.get(path === "/docs/" ? "/docs" : path);
      if (asset && (req.method === "GET" || req.method === "HEAD")) {
        operation = path.startsWith("/docs") ? "docs" : "openapi";
        res.writeHead(200, { "content-type": asset.type, "content-length": asset.body.length, "cache-control": "no-cache" });
        if (req.method === "HEAD") res.end();
        else res.end(asset.body);
        return;
      }
      const rpcHandler = deps.rpc.byPath.get(path);
      if (rpcHandler) {
        operation = `${rpcHandler.service.typeName}/${rpcHandler.method.name}`;
        protocol = protocolOf(String(req.headers["content-type"] ?? ""));
        serveRpc(req, res, rpcHandler, callContext(requestId, req.socket.remoteAddress ?? "")).catch(fail);
        return;
      }
      if (isReportCsvPath(path)) {
        protocol = "csv";
        operation = reportCsvOperation(deps.rest, req.method ?? "GET", path) ?? "unmatched";
        serveReportCsv(deps.rest, req, res, url, callContext(requestId, req.socket.remoteAddress ?? "")).catch(fail);
        return;
      }
      protocol = "rest";
      const match = deps.rest.match(req.method ?? "GET", path);
      if ("route" in match) operation = `${match.route.method.parent.typeName}/${match.route.method.name}`;
      deps.rest.serve(req, res, url, callContext(requestId, req.socket.remoteAddress ?? ""), match).catch(fail);
    } catch (e) {
      fail(e);
    }
  };
}
