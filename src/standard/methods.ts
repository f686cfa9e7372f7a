/**
 * The standard methods of a resource, built from its description: Get, List,
 * BatchGet, Create, Update with a field mask, Delete and status changes. A
 * resource's service.ts maps its RPCs onto them, passing its domain rules,
 * and writes by hand only the methods that are its own:
 *
 *   const std = standardMethods(db, buyerResource);
 *   return { getBuyer: std.get, createBuyer: std.create({ parse: (b) => buyerValues(b, "all") }), … };
 */
import type { Message } from "@bufbuild/protobuf";
import { lifecycleMethods } from "./lifecycle-methods.ts";
import { readMethods } from "./read-methods.ts";
import type { Resource } from "./resource.ts";
import { writeMethods } from "./write-methods.ts";
import type { Deps } from "../deps.ts";

/** Every standard method over one resource. */
export function standardMethods<Row extends { id: string }, Msg extends Message>(db: Deps, resource: Resource<Row, Msg>) {
  const { remove, setStatus } = lifecycleMethods(db, resource);
  return { ...readMethods(db, resource), ...writeMethods(db, resource), delete: remove, setStatus };
}
