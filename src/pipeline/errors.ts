/**
 * The one error type that reaches the edge is ConnectError. These helpers
 * build it with the details clients act on (field violations, error reason,
 * retry delay) and turn it into the `{ "error": … }` envelope with the HTTP
 * status of the standard gRPC-to-HTTP table.
 */
import { createRegistry, toJson, type Message } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/es/google/rpc/error_details_pb.js";
import { isDatabaseUnavailable } from "./errors-unavailable.ts";

/** One bad field: its JSON path and what is wrong with it. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** Codes that are not gRPC codes; carried as google.rpc.ErrorInfo reasons. */
export type AppReason = "rate_limited" | "idempotency_key_reused" | "idempotency_key_in_use" | "payload_too_large";

const DOMAIN = "leadrouter.dev";
const reasonStatus: Record<AppReason, number> = {
  rate_limited: 429,
  idempotency_key_reused: 422,
  idempotency_key_in_use: 409,
  payload_too_large: 413,
};

const codeStatus: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/** Registry for decoding and printing error details. */
export const detailsRegistry = createRegistry(BadRequestSchema, ErrorInfoSchema, RetryInfoSchema);

/** invalid_argument listing every offending field. */
export function invalidArgument(violations: FieldViolation[], message?: string): ConnectError {
  const text = message ?? violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new ConnectError(text, Code.InvalidArgument, undefined, [{ desc: BadRequestSchema, value: { fieldViolations: violations } }]);
}

/** not_found for a resource the caller cannot see (missing or another tenant's). */
export function notFound(kind: string, id: string): ConnectError {
  return new ConnectError(`${kind} ${id} not found`, Code.NotFound);
}

/** failed_precondition: the request is valid but the resource's state forbids it. */
export function failedPrecondition(message: string): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition);
}

/** already_exists, naming the field whose value is taken. */
export function alreadyExists(field: string, message: string): ConnectError {
  return new ConnectError(message, Code.AlreadyExists, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: [{ field, description: message }] } },
  ]);
}

/** An error with one of our own reasons (rate_limited, idempotency_*). */
export function appError(reason: AppReason, message: string, headers?: Record<string, string>, retryAfterMs?: number): ConnectError {
  const code =
    reason === "rate_limited" ? Code.ResourceExhausted : reason === "idempotency_key_in_use" ? Code.Aborted : Code.InvalidArgument;
  const details: ConstructorParameters<typeof ConnectError>[3] = [{ desc: ErrorInfoSchema, value: { reason, domain: DOMAIN } }];
  if (retryAfterMs !== undefined) details.push({ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(retryAfterMs) } });
  return new ConnectError(message, code, headers, details);
}

/** The snake_case code clients see: our reason when there is one, else the gRPC code's name. */
export function errorCodeOf(err: ConnectError): { code: string; status: number } {
  const info = err.findDetails(ErrorInfoSchema).find((d) => d.domain === DOMAIN);
  if (info && info.reason in reasonStatus) {
    return { code: info.reason, status: reasonStatus[info.reason as AppReason] };
  }
  const name = Code[err.code] ?? "Unknown";
  return { code: name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(), status: codeStatus[err.code] ?? 500 };
}

/** The JSON body `{ "error": { code, message, details } }` and its HTTP status. */
export function errorEnvelope(err: ConnectError): { status: number; body: { error: Record<string, unknown> } } {
  const { code, status } = errorCodeOf(err);
  const details = err.findDetails(detailsRegistry).map((d: Message) => {
    const desc = detailsRegistry.getMessage(d.$typeName);
    return { "@type": `type.googleapis.com/${d.$typeName}`, ...(desc ? (toJson(desc, d) as object) : {}) };
  });
  return { status, body: { error: { code, message: err.rawMessage, details } } };
}

/** How long a client should wait before retrying when the database is unavailable. */
const UNAVAILABLE_RETRY_MS = 1_000;

/**
 * Wraps anything thrown into a ConnectError, cause kept for logs: the
 * database being unreachable becomes unavailable (503, retry in a second),
 * any other unknown failure internal.
 */
export function asConnectError(e: unknown): ConnectError {
  if (e instanceof ConnectError) return e;
  if (isDatabaseUnavailable(e))
    return new ConnectError(
      "the database is unavailable; retry shortly",
      Code.Unavailable,
      { "retry-after": String(UNAVAILABLE_RETRY_MS / 1000) },
      [{ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(UNAVAILABLE_RETRY_MS) } }],
      e,
    );
  return new ConnectError("internal error", Code.Internal, undefined, undefined, e);
}
