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

/** The error responses, by component name: [description, headers beyond the common ones]. */
export const errorCatalog: Record<string, [string, string[]]> = {
  BadRequest: [
    "The request is invalid (`invalid_argument`; `error.details` holds a google.rpc.BadRequest naming " +
      "each offending field), or the resource's state forbids it (`failed_precondition`).",
    [],
  ],
  Unauthenticated: ["The API key is missing, unknown or revoked (`unauthenticated`).", []],
  PermissionDenied: ["The key's role may not call this operation, or its tenant is suspended (`permission_denied`).", []],
  NotFound: ["The resource does not exist, or is not visible to the key (`not_found`).", []],
  Conflict: [
    "A unique value is already taken (`already_exists`), or a request with the same Idempotency-Key " +
      "is still running (`idempotency_key_in_use`).",
    [],
  ],
  UnprocessableEntity: ["The Idempotency-Key was already used with a different request (`idempotency_key_reused`).", []],
  RateLimited: [
    "The API key is over its rate limit (`rate_limited`); retry after `Retry-After` seconds, also " +
      "given as a google.rpc.RetryInfo in `error.details`.",
    ["Retry-After"],
  ],
  Error: ["Any other error, for example `internal` (500) or `unavailable` (503).", []],
};

/** The one security scheme: bearer API keys. */
export const bearerAuth: JsonObject = {
  type: "http",
  scheme: "bearer",
  bearerFormat: "API key (lr_live_… / lr_test_…)",
  description: "An API key, sent as `Authorization: Bearer <key>`. Its role decides which operations it may call.",
};
