/**
 * The REST transcoder's entry point: match a route (404 / 405 otherwise),
 * build the RPC's JSON request, call the same universal handler Connect
 * uses, and write the result — the envelope as the RPC returned it, or its
 * `response_body` field, or the `{ "error": … }` envelope.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import { asConnectError, errorEnvelope } from "../pipeline/errors.ts";
import { requestFieldNamesKey } from "../pipeline/string-content.ts";
import { errorFromConnectBody, readAll } from "../server/edge-errors.ts";
import { errorSlotKey, type Rpc } from "../server/rpc.ts";
import { readJsonBody } from "./body.ts";
import { buildRequestJson } from "./request.ts";
import { buildRoutes, type Route } from "./routes.ts";
import { splitVerb } from "./template.ts";

type Req = IncomingMessage;
type Res = ServerResponse;

const FORWARDED = ["authorization", "idempotency-key", "x-request-id", "user-agent"];
const HIDDEN = /^(content-type|content-length|content-encoding|vary|accept-encoding|connect-|grpc-)/;

/** A matched route, or why nothing matched. */
export type Match = { route: Route; vars: Map<string, string> } | { status: 404 } | { status: 405; allow: string[] };

/** An RPC's answer to a REST request: its JSON, or the error, with the headers the pipeline set (rate limits...). */
export type Outcome = { json: Record<string, JsonValue>; headers: Headers } | { error: ConnectError; headers: Headers };

/** The REST surface of an Rpc. */
export interface Rest {
  routes: Route[];
  match(method: string, path: string): Match;
  serve(req: Req, res: Res, url: URL, values: ContextValues, match: Match): Promise<void>;
  /** Calls a GET route's RPC with these query parameters, through the same pipeline (src/reports/csv-http.ts pages through it). */
  invoke(req: Req, res: Res, route: Route, vars: Map<string, string>, query: URLSearchParams, values: ContextValues): Promise<Outcome>;
}

/** Writes the error envelope. */
export function writeError(res: Res, err: ConnectError, extraHeaders?: Headers): void {
  const { status, body } = errorEnvelope(err);
  const payload = JSON.stringify(body);
  for (const [k, v] of extraHeaders ?? []) res.setHeader(k, v);
  for (const [k, v] of err.metadata) res.setHeader(k, v);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}

/** Builds the transcoder for every binding of the Rpc's services. */
export function createRest(rpc: Rpc): Rest {
  const routes = buildRoutes(rpc.services);
  const match = (method: string, rawPath: string): Match => {
    const { path, verb } = splitVerb(rawPath);
    const candidates = [{ path, verb }];
    // A colon can also belong to a value ({external_ref=**} = "sf/lead:7"):
    // when no route declares the verb, try the whole path without one.
    if (verb !== undefined) candidates.push({ path: rawPath, verb: undefined });
    for (const [i, candidate] of candidates.entries()) {
      const allow = new Set<string>();
      for (const route of routes) {
        if (route.template.verb !== candidate.verb || !candidate.path.startsWith(route.template.prefix)) continue;
        const vars = route.template.match(candidate.path);
        if (!vars) continue;
        if (route.httpMethod === method) return { route, vars };
        allow.add(route.httpMethod);
      }
      // On the verb-less retry, other methods matching only means an unknown
      // verb was read as part of a value: that is no operation (404), not a
      // wrong method (POST /buyers/{id}:explode must not answer "Allow: GET").
      if (allow.size > 0 && i === 0) return { status: 405, allow: [...allow] };
    }
    return { status: 404 };
  };

  /** Runs the route's RPC on a JSON request through the universal handler; aborted when the client goes away. */
  const call = async (req: Req, res: Res, route: Route, json: JsonValue, values: ContextValues) => {
    const handler = rpc.byMethod.get(route.method);
    if (!handler) throw new Error(`no handler for ${route.method.name}`);
    const header = new Headers({ "content-type": "application/json", "connect-protocol-version": "1" });
    for (const name of FORWARDED) {
      const v = req.headers[name];
      if (typeof v === "string") header.set(name, v);
    }
    const abort = new AbortController();
    // Abort only calls whose client went away; aborting after a normal finish would cost a DOMException per request.
    // The listener goes when the call is done: a CSV export makes many calls on one response.
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once("close", onClose);
    let uRes: Awaited<ReturnType<typeof handler>>;
    let bytes: Uint8Array;
    try {
      uRes = await handler({
        httpVersion: req.httpVersion,
        url: `http://rest.internal${handler.requestPath}`,
        method: "POST",
        header,
        body: json,
        signal: abort.signal,
        contextValues: values,
      });
      bytes = await readAll(uRes.body);
    } finally {
      res.off("close", onClose);
    }
    const forward = new Headers();
    uRes.header?.forEach((v, k) => {
      if (!HIDDEN.test(k)) forward.set(k, v);
    });
    return { status: uRes.status, bytes, forward };
  };

  const invoke = async (
    req: Req,
    res: Res,
    route: Route,
    vars: Map<string, string>,
    query: URLSearchParams,
    values: ContextValues,
  ): Promise<Outcome> => {
    values.set(requestFieldNamesKey, route.restName);
    values.set(errorSlotKey, {});
    let json: JsonValue;
    try {
      json = buildRequestJson(route, vars, query, undefined, false);
    } catch (e) {
      return { error: asConnectError(e), headers: new Headers() };
    }
    const { status, bytes, forward } = await call(req, res, route, json, values);
    if (status !== 200)
      return { error: values.get(errorSlotKey).error ?? errorFromConnectBody(bytes, route.method.input), headers: forward };
    return { json: JSON.parse(new TextDecoder().decode(bytes)) as Record<string, JsonValue>, headers: forward };
  };

  const serve = async (req: Req, res: Res, url: URL, values: ContextValues, m: Match) => {
    if (!("route" in m)) {
      if (m.status === 405) res.setHeader("allow", m.allow.join(", "));
      const err =
        m.status === 404
          ? new ConnectError(`no operation at ${req.method} ${url.pathname}`, Code.NotFound)
          : new ConnectError(`${req.method} is not allowed here; allowed: ${m.allow.join(", ")}`, Code.InvalidArgument);
      const { body } = errorEnvelope(err);
      if (m.status === 405) body.error.code = "method_not_allowed";
      const payload = JSON.stringify(body);
      res.writeHead(m.status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
      res.end(payload);
      return;
    }
    const { route, vars } = m;
    values.set(requestFieldNamesKey, route.restName);
    let json: JsonValue;
    try {
      const { body, form } = route.body ? await readJsonBody(req) : { body: undefined, form: false };
      json = buildRequestJson(route, vars, url.searchParams, body, form);
    } catch (e) {
      writeError(res, asConnectError(e));
      return;
    }
    const { status, bytes, forward } = await call(req, res, route, json, values);
    if (status !== 200) {
      // Decoding errors name fields from the REST body's root: with body: "<field>" that is the field's message.
      const root = route.bodyField?.fieldKind === "message" ? route.bodyField.message : route.method.input;
      writeError(res, values.get(errorSlotKey).error ?? errorFromConnectBody(bytes, root), forward);
      return;
    }
    let payload: Uint8Array | string = bytes;
    if (route.responseBody) {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, JsonValue>;
      const field = route.method.output.fields.find((f) => f.name === route.responseBody);
      payload = JSON.stringify(parsed[field?.jsonName ?? route.responseBody] ?? null);
    }
    for (const [k, v] of forward) res.setHeader(k, v);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
    res.end(payload);
  };
  return { routes, match, serve, invoke };
}
