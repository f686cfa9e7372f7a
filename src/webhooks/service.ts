/** WebhookService: the standard methods over webhook endpoints, their secrets' rotation, and the delivery log's methods. */
import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type ListWebhooksRequest, Webhook_Status, type WebhookService } from "../../gen/es/leadrouter/v1/webhooks_pb.js";
import type { Principal } from "../pipeline/principal.ts";
import { failedPrecondition } from "../pipeline/errors.ts";
import { emitConfigEvent } from "../standard/config-events.ts";
import { nameOf, statusIs } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { find } from "../standard/resource.ts";
import type { Values } from "../standard/table.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import type { Deps } from "../deps.ts";
import { webhookDeliveryMethods } from "./deliveries-service.ts";
import { ownerRoleOf, toWebhook, updatableWebhookPaths, webhookResource } from "./mapping.ts";
import { newWebhookSecret } from "./secrets.ts";
import { insertSecret, retireSecrets, type WebhookRow, webhooks } from "./store.ts";
import { checkForCaller, overlapOf, webhookValues } from "./validation.ts";

/** The owner a new endpoint gets from the key creating it: a partner key's partner, a buyer key's buyer, none for an admin. */
function ownerOf(p: Principal): Values {
  if (p.role === "partner") return { partner_id: p.partnerId };
  if (p.role === "buyer") return { buyer_id: p.buyerId };
  return {};
}

/** A paused endpoint waits for :resume; a disabled one stays disabled (and says why) until resumed. */
async function refuseDisabled(_tx: unknown, row: WebhookRow): Promise<void> {
  if (row.status === "disabled") throw failedPrecondition("the webhook is disabled; :resume re-enables it");
}

/** The WebhookService implementation. */
export function webhookService(db: Deps): ServiceImpl<typeof WebhookService> {
  const std = standardMethods(db, webhookResource);
  const guard = db.settings.destinations;
  return {
    async createWebhook(req, ctx) {
      const secret = newWebhookSecret();
      const { data } = await std.create({
        parse: (w, v) => webhookValues(w, "all", v),
        prepare: async (_tx, values: Values, v, scope) => {
          checkForCaller(guard, scope.principal.testMode, scope.principal.role, values, v);
          return values;
        },
        values: (values, scope) => ({ ...values, ...ownerOf(scope.principal) }),
        after: (tx, row) => insertSecret(tx, row.tenant_id, row.id, db.settings.secrets.seal(secret)),
      })(req, ctx);
      return { data, secret };
    },
    getWebhook: std.get,
    listWebhooks: std.list((req: ListWebhooksRequest) => {
      const status = nameOf(Webhook_Status, req.status);
      return { key: { status }, where: statusIs(status) };
    }),
    updateWebhook: std.update({
      updatable: updatableWebhookPaths,
      parse: (w, paths, v) => webhookValues(w, paths, v),
      // Event types are judged by the endpoint's owner (an admin editing a partner's endpoint stays in the partner's scope).
      prepare: async (_tx, values: Values, v, { stored, scope }) => {
        checkForCaller(guard, scope.principal.testMode, ownerRoleOf(stored), values, v);
        return values;
      },
    }),
    deleteWebhook: std.delete(),
    pauseWebhook: std.setStatus("paused", { check: refuseDisabled }),
    async resumeWebhook(req, ctx) {
      const id = requireUuid("id", req.id);
      return inTenant(db, ctx, async (tx, principal) => {
        await find(tx, webhookResource, id, { lock: true });
        // Re-enabled: the 5-day failure clock starts again from the next failure.
        const row = (await webhooks.update(tx, id, {
          status: "active",
          disabled_reason: null,
          disabled_at: null,
          failing_since: null,
        })) as WebhookRow;
        const data = toWebhook(row);
        // A status change, like :pause (the standard setStatus): webhook.updated.
        await emitConfigEvent(tx, principal, webhookResource, "updated", row, data);
        return { data };
      });
    },
    async rotateWebhookSecret(req, ctx) {
      const id = requireUuid("id", req.id);
      const v = new Violations();
      const overlap = overlapOf(v, req.overlap);
      v.check();
      const secret = newWebhookSecret();
      return inTenant(db, ctx, async (tx) => {
        const row = await find(tx, webhookResource, id, { lock: true });
        const previousExpiresAt = await retireSecrets(tx, id, overlap);
        await insertSecret(tx, row.tenant_id, id, db.settings.secrets.seal(secret));
        return { data: toWebhook(row), secret, previousExpiresAt: timestampFromDate(previousExpiresAt) };
      });
    },
    ...webhookDeliveryMethods(db),
  };
}
