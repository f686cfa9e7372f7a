// The texts of the shared components: headers, the Idempotency-Key parameter, errors, security.

import type { JsonObject } from "./types.ts";

/** Headers on every response, success or error. */
export const commonHeaders = [
  "X-Request-Id",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
  "RateLimit-Policy",
  "RateLimit",
] as const;

const int = (description: string, format = "int32"): JsonObject => ({ description, schema: { type: "integer", format } });
const str = (description: string): JsonObject => ({ description, schema: { type: "string" } });

/** The response headers the API sends, keyed by header name (also their component name). */
export const headerCatalog: Record<string, JsonObject> = {
  "X-Request-Id": str(
    "Identifies the request in the server's logs: the caller's own `X-Request-Id` when it sent a " +
      "well-formed one, else a new UUIDv7. Quote it when reporting a problem.",
  ),
  "X-RateLimit-Limit": int("Requests the API key may make in the current window."),
  "X-RateLimit-Remaining": int("Requests the API key has left in the current window."),
  "X-RateLimit-Reset": int("When the current window ends, in Unix epoch seconds.", "int64"),
  "RateLimit-Policy": str(
    "The quota policy applied to the API key, as defined by the IETF draft " +
      "RateLimit header fields for HTTP (draft-ietf-httpapi-ratelimit-headers).",
  ),
  RateLimit: str(
    "The remaining quota and the seconds until it resets, as defined by the IETF draft " +
      "RateLimit header fields for HTTP (draft-ietf-httpapi-ratelimit-headers).",
  ),
  "Retry-After": int("Seconds to wait before retrying."),
  "Idempotent-Replayed": {
    description: "Present and `true` when this response is the stored response to an earlier request with the " + "same Idempotency-Key.",
    schema: { type: "boolean" },
  },
};

/** The Idempotency-Key request header every mutation accepts, with its Stripe-like semantics. */
export const idempotencyKeyParameter: JsonObject = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "Makes the request safe to retry. The first response to a key is stored for 24 hours and " +
    "replayed, with `Idempotent-Replayed: true`, to any retry carrying the same key. Reusing a key " +
    "with a different request fails with 422 `idempotency_key_reused`; sending it again while the " +
    "first request is still running fails with 409 `idempotency_key_in_use`. Use a fresh random " +
    "value, such as a UUID, per logical operation.",
  schema: { type: "string", minLength: 1, maxLength: 255 },
};

/** An error response: what it means and the headers it carries. */
export interface ErrorEntry {
  readonly description: string;
  readonly headers: readonly string[];
}

// Errors the pipeline answers carry the rate-limit headers; errors the HTTP
// layer answers before any key is read carry only the request id.
const piped = (description: string, extra: string[] = []): ErrorEntry => ({ description, headers: [...commonHeaders, ...extra] });
const edge = (description: string): ErrorEntry => ({ description, headers: ["X-Request-Id"] });

/** The error responses, by component name. */
export const errorCatalog: Record<string, ErrorEntry> = {
  BadRequest: piped(
    "The request is invalid (`invalid_argument`; `error.details` holds a google.rpc.BadRequest naming " +
      "each offending field), or the resource's state forbids it (`failed_precondition`).",
  ),
  Unauthenticated: piped("The API key is missing, unknown or revoked (`unauthenticated`)."),
  PermissionDenied: piped(
    "The key's role may not call this operation, or may not set a field it sent (`error.details` names it), " +
      "or its tenant is suspended (`permission_denied`).",
  ),
  NotFound: piped("The resource, or one the request names, does not exist or is not visible to the key (`not_found`)."),
  Conflict: piped(
    "A unique value is already taken (`already_exists`), or a request with the same Idempotency-Key " +
      "is still running (`idempotency_key_in_use`).",
  ),
  PayloadTooLarge: edge("The request body is over 1 MiB (`payload_too_large`; `error.details` names `body`)."),
  UnprocessableEntity: piped("The Idempotency-Key was already used with a different request (`idempotency_key_reused`)."),
  RateLimited: piped(
    "The API key is over its rate limit (`rate_limited`); retry after `Retry-After` seconds, also " +
      "given as a google.rpc.RetryInfo in `error.details`.",
    ["Retry-After"],
  ),
  UriTooLong: edge("The URL is longer than the server reads (`uri_too_long`)."),
  HeadersTooLarge: edge("The request headers, with the URL, are larger than the server reads (`headers_too_large`)."),
  Error: piped("Any other error, for example `internal` (500) or `unavailable` (503)."),
};

/** The one security scheme: bearer API keys. */
export const bearerAuth: JsonObject = {
  type: "http",
  scheme: "bearer",
  bearerFormat: "API key (lr_live_… / lr_test_…)",
  description: "An API key, sent as `Authorization: Bearer <key>`. Its role decides which operations it may call.",
};
