/**
 * Webhook signing secrets in the Standard Webhooks format: `whsec_` and the
 * base64 of random bytes (the spec asks for 24 to 64; 32 here, the
 * HMAC-SHA256 key size). They are stored sealed under SECRETS_KEY
 * (src/delivery/secrets.ts) and shown to the client only when made.
 */
import { randomBytes } from "node:crypto";

/** The prefix the Standard Webhooks libraries expect before the base64. */
export const SECRET_PREFIX = "whsec_";

/** A new signing secret. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}
