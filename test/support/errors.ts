/** Assertions on the `{ "error": … }` envelope shared by the resource tests. */
import { ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { BadRequestSchema } from "../../gen/es/google/rpc/error_details_pb.js";
import type { RestResponse } from "./server.ts";

/** The fields named by the error's google.rpc.BadRequest details, in order. */
export function violatedFields(r: RestResponse): string[] {
  const details = (r.body?.error?.details ?? []) as { "@type": string; fieldViolations?: { field: string }[] }[];
  return details
    .filter((d) => d["@type"] === "type.googleapis.com/google.rpc.BadRequest")
    .flatMap((d) => (d.fieldViolations ?? []).map((v) => v.field));
}

/** Asserts the status, the code and exactly the fields named (none unless given). */
export function expectError(r: RestResponse, status: number, code: string, fields: string[] = []): void {
  expect(r.status, r.text).toBe(status);
  expect(r.body.error.code).toBe(code);
  expect(violatedFields(r)).toEqual(fields);
}

/** The fields named by a Connect or gRPC error's google.rpc.BadRequest details, in order. */
export function grpcViolatedFields(e: unknown): string[] {
  return ConnectError.from(e)
    .findDetails(BadRequestSchema)
    .flatMap((d) => d.fieldViolations.map((v) => v.field));
}
