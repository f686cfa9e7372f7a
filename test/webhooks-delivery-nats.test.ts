/** Webhook delivery with the machine's NATS (NATS_URL): the fan-out is a durable JetStream consumer. */
import { describe, it } from "vitest";
import { webhookDeliverySuite } from "./webhooks-delivery-cases.ts";

const natsUrl = process.env.NATS_URL;
if (natsUrl) webhookDeliverySuite("JetStream", { natsUrl });
else describe.skip("webhook delivery (JetStream): NATS_URL is not set", () => it("needs NATS", () => {}));
