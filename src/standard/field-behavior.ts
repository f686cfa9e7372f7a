/**
 * google.api.field_behavior, read from the descriptors: the proto says once
 * which fields only the server sets (OUTPUT_ONLY) and which are fixed when a
 * resource is created (IMMUTABLE), and the PATCH rules read it here.
 */
import { type DescField, getOption, hasOption } from "@bufbuild/protobuf";
import { FieldBehavior, field_behavior } from "../../gen/es/google/api/field_behavior_pb.js";

function behaviors(field: DescField): FieldBehavior[] {
  return hasOption(field, field_behavior) ? getOption(field, field_behavior) : [];
}

/** True for a field only the server sets: requests may carry it (an echoed resource) but never change it. */
export function isOutputOnly(field: DescField): boolean {
  return behaviors(field).includes(FieldBehavior.OUTPUT_ONLY);
}

/** True for a field set on create that no update may change. */
export function isImmutable(field: DescField): boolean {
  return behaviors(field).includes(FieldBehavior.IMMUTABLE);
}
