/**
 * Step 3 of the pipeline: each RPC declares its roles with the
 * `(leadrouter.v1.roles)` method option; callers with another role get
 * permission_denied.
 */
import { getOption, type DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Access_Role, roles as rolesOption } from "../../gen/es/leadrouter/v1/options_pb.js";
import { principalKey, type Role } from "./principal.ts";

const cache = new WeakMap<DescMethod, ReadonlySet<Role>>();

/** The roles allowed to call a method, read once from its descriptor. */
export function rolesOf(method: DescMethod): ReadonlySet<Role> {
  let set = cache.get(method);
  if (!set) {
    set = new Set(getOption(method, rolesOption).map((r) => Access_Role[r] as Role));
    cache.set(method, set);
  }
  return set;
}

/** The interceptor that enforces the declared roles. */
export function rolesInterceptor(): Interceptor {
  return (next) => async (req) => {
    const principal = req.contextValues.get(principalKey);
    const allowed = rolesOf(req.method);
    if (!principal || !allowed.has(principal.role)) {
      const names = [...allowed].join(", ") || "no role";
      throw new ConnectError(`${req.method.parent.name}.${req.method.name} requires one of: ${names}`, Code.PermissionDenied);
    }
    return next(req);
  };
}
