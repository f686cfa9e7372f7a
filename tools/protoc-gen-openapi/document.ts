// The top-level OpenAPI document: info, servers, security, tags, paths and components.

import type { DescMessage, DescService } from "@bufbuild/protobuf";
import { commentOf } from "./comments.ts";
import { sharedComponents } from "./components.ts";
import { buildPaths, tagName } from "./paths.ts";
import type { Context, JsonObject } from "./types.ts";

const title = "Lead Router API";
// A server serves this document with its own base URL here (src/server/docs.ts).
const server = { url: "/", description: "The server that serves this document." };

const overview = `Lead Router distributes leads from traffic partners to buyers. Every operation is \
available over gRPC, gRPC-Web, Connect and this REST/JSON API, all generated from one set of \
protobuf definitions.

**Authentication.** Send an API key as \`Authorization: Bearer <key>\`; live keys start with \
\`lr_live_\`, test keys with \`lr_test_\`. A key carries one role (superadmin, admin, buyer or \
partner); each operation lists the roles it admits in its description and in \`x-roles\`.

**Responses.** A successful response is an envelope, unless its operation says otherwise: the \
result is in \`data\`, and list operations add \`pagination\`, whose \`nextPageToken\` is passed \
back as \`pageToken\`. A failed response is an \`ErrorResponse\` whose \`error.code\` is a stable \
snake_case code.

**JSON.** Bodies follow the proto3 JSON mapping: lowerCamelCase field names, 64-bit integers \
as strings, timestamps as RFC 3339 strings and enums as their lowercase value names.

**Schemas.** A resource has up to three schemas: \`leadrouter.v1.Buyer\` is a buyer as responses \
carry it, with every field the server always writes marked required; \`leadrouter.v1.BuyerInput\` \
is what a create takes (no server-set fields); \`leadrouter.v1.BuyerUpdate\` is what a PATCH takes \
(nothing required: send only what changes). A body that is the request itself is the operation's \
own \`<OperationId>Body\`. No body repeats a field its path carries.

**Limits.** A body over 1 MiB gets 413 \`payload_too_large\`; a URL or header block the server \
does not read gets 414 \`uri_too_long\` or 431 \`headers_too_large\`. Errors always come as an \
\`ErrorResponse\` with an \`X-Request-Id\`.

**Rate limits.** Every response reports the key's quota in \`X-RateLimit-Limit\`, \
\`X-RateLimit-Remaining\` and \`X-RateLimit-Reset\`, and in the IETF draft \`RateLimit-Policy\` \
and \`RateLimit\` headers. A key over its quota gets 429 with \`Retry-After\`.

**Idempotency.** Every operation that changes state accepts an \`Idempotency-Key\` header; a \
retry with the same key gets the first response again.`;

/** The tags, one per service with operations, sorted by name, described by the service comment. */
function tags(services: readonly DescService[]): JsonObject[] {
  return services
    .map((s): JsonObject => {
      const description = commentOf(s);
      return description === "" ? { name: tagName(s) } : { name: tagName(s), description };
    })
    .sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1));
}

/** The generated document and its operation count. */
export interface Document {
  readonly document: JsonObject;
  readonly operationCount: number;
}

/** Assembles the whole document; components are gathered last, once every operation has used them. */
export function buildDocument(services: readonly DescService[], errorType: DescMessage, version: string, ctx: Context): Document {
  const { paths, operationCount, tags: used } = buildPaths(services, ctx);
  const documented = services.filter((s) => used.has(tagName(s)));
  const errorSchema = ctx.schemas.message(errorType, "output");
  const shared = sharedComponents(ctx.refs, errorSchema);
  const document: JsonObject = {
    openapi: "3.1.0",
    info: {
      title,
      version,
      description: overview,
      contact: { name: "Lead Router maintainers" },
    },
    servers: [server],
    security: [{ bearerAuth: [] }],
    tags: tags(documented),
    paths,
    components: { schemas: ctx.schemas.components(), ...shared },
  };
  return { document, operationCount };
}
