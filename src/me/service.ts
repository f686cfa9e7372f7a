/** MeService: tells a caller which tenant, role and key it is using. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { MeSchema, type MeService } from "../../gen/es/leadrouter/v1/me_pb.js";
import { Access_Role } from "../../gen/es/leadrouter/v1/options_pb.js";
import type { Db } from "../db/tenant-tx.ts";
import { principalKey } from "../pipeline/principal.ts";
import { inTenant } from "../standard/transaction.ts";
import { toTenant } from "../tenants/mapping.ts";
import { tenants } from "../tenants/store.ts";

/** The MeService implementation. */
export function meService(db: Db): ServiceImpl<typeof MeService> {
  return {
    async getMe(_req, ctx) {
      const p = ctx.values.get(principalKey);
      if (!p) throw new Error("pipeline ran without authentication");
      const me = create(MeSchema, {
        role: Access_Role[p.role],
        keyId: p.keyId ?? "",
        buyerId: p.buyerId ?? "",
        partnerId: p.partnerId ?? "",
        testMode: p.testMode,
      });
      if (p.tenantId) {
        const row = await inTenant(db, ctx, (tx) => tenants.get(tx, p.tenantId ?? ""));
        if (row) me.tenant = toTenant(row);
      }
      return { data: me };
    },
  };
}
