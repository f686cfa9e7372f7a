/** Webhook delivery without NATS: the relay hands outbox batches to the fan-out itself. */
import { webhookDeliverySuite } from "./webhooks-delivery-cases.ts";

webhookDeliverySuite("outbox, no NATS", { natsUrl: undefined });
