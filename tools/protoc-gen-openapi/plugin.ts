// The protoc plugin: CodeGeneratorRequest in, gen/openapi/openapi.{json,yaml} out.

import type { DescFile, DescService } from "@bufbuild/protobuf";
import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { Plugin } from "@bufbuild/protoplugin";
import type { CodeGeneratorRequest } from "@bufbuild/protobuf/wkt";
import { CodeGeneratorResponse_Feature, CodeGeneratorResponseSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createRefs } from "./components.ts";
import { buildDocument } from "./document.ts";
import { findExtensions } from "./extensions.ts";
import { parseOptions } from "./options.ts";
import { toJson, toYaml } from "./output.ts";
import { createSchemaSet } from "./schemas.ts";
import { envelopeNames } from "./views.ts";
import { eventSchemas, eventSchemasFile } from "./event-schemas.ts";
import type { Context } from "./types.ts";

function filesToDocument(request: CodeGeneratorRequest, files: DescFile[], pkg: string | undefined): DescFile[] {
  const wanted = new Set(request.fileToGenerate);
  return files
    .filter((f) => wanted.has(f.proto.name) && (pkg === undefined || f.proto.package === pkg))
    .sort((a, b) => (a.proto.name < b.proto.name ? -1 : 1));
}

/** Generates the document for a request; exported separately from the Plugin so it can be tested directly. */
export function generate(request: CodeGeneratorRequest): { json: string; yaml: string; events: string; operationCount: number } {
  const options = parseOptions(request.parameter);
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
  const files = filesToDocument(request, [...registry.files], options.package);
  if (files.length === 0) throw new Error(`no files to document (package=${options.package ?? "<any>"})`);
  const services: DescService[] = files.flatMap((f) => f.services);
  const errorType = files.flatMap((f) => f.messages).find((m) => m.name === "ErrorResponse");
  if (errorType === undefined) throw new Error("no ErrorResponse message among the documented files");
  const extensions = findExtensions(registry, options.package);
  if (extensions.http === undefined) throw new Error("google/api/annotations.proto is not in the request");
  // The error body is an envelope too: every failure carries `error`.
  const envelopes = envelopeNames([...services.flatMap((s) => s.methods.map((m) => m.output)), errorType]);
  const ctx: Context = { registry, extensions, schemas: createSchemaSet(extensions, envelopes), refs: createRefs(), envelopes };
  const version = files[0]?.proto.package.split(".").pop() ?? "v1";
  const { document, operationCount } = buildDocument(services, errorType, version, ctx);
  return { json: toJson(document), yaml: toYaml(document), events: eventSchemas(files, services, extensions), operationCount };
}

/** The plugin object protoplugin's runner drives; it writes openapi.json and openapi.yaml. */
export const plugin: Plugin = {
  name: "protoc-gen-openapi",
  version: "v0.1.0",
  run(request) {
    const { json, yaml, events } = generate(request);
    return create(CodeGeneratorResponseSchema, {
      supportedFeatures: BigInt(CodeGeneratorResponse_Feature.PROTO3_OPTIONAL),
      file: [
        { name: "openapi.json", content: json },
        { name: "openapi.yaml", content: yaml },
        { name: eventSchemasFile, content: events },
      ],
    });
  },
};
