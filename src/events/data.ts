/**
 * An event's `data` built from its message: `create` checks the fields at
 * build time (a renamed field breaks the build, not the consumers) and the
 * JSON is the message's proto3 JSON as the API writes it (implicit fields
 * included), which is what the type's JSON Schema describes.
 */
import { create, type DescMessage, type JsonObject, type MessageInitShape, type MessageShape, toJson } from "@bufbuild/protobuf";

/** The JSON of `init` as the message `schema`. */
export function eventData<S extends DescMessage>(schema: S, init: MessageInitShape<S>): JsonObject {
  return toJson(schema, create(schema, init), { alwaysEmitImplicit: true }) as JsonObject;
}

/**
 * The JSON of a resource as the API returns it, for a configuration event. A
 * `secret` (an API key's, shown only when issued) is always empty here, as in
 * every read of the resource.
 */
export function resourceData<S extends DescMessage>(schema: S, message: MessageShape<S>): JsonObject {
  const data = toJson(schema, message, { alwaysEmitImplicit: true }) as JsonObject;
  if (typeof data.secret === "string") data.secret = "";
  return data;
}
