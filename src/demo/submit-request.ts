/** The one request the demo prints: the README's example lead posted to the demo campaign, and its curl form. */
import { randomUUID } from "node:crypto";
import { readmeLead } from "./example-lead.ts";
import type { DemoWorld } from "./setup.ts";

/** An HTTP request as the demo prints it. */
export interface DemoRequest {
  method: "POST";
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * SubmitLead for the README's lead with the partner's key. The
 * Idempotency-Key makes the command safe to run twice: the second run
 * replays the first answer instead of posting the lead again.
 */
export function submitRequest(world: DemoWorld): DemoRequest {
  return {
    method: "POST",
    url: `${world.baseUrl}/api/v1/leads/submit`,
    headers: {
      Authorization: `Bearer ${world.partnerKey}`,
      "Content-Type": "application/json",
      "Idempotency-Key": `demo-${randomUUID()}`,
    },
    body: JSON.stringify({ campaignId: world.campaignId, postingKey: world.postingKey, ...readmeLead() }),
  };
}

/** A word in single quotes for a POSIX shell (a quote inside becomes '\''). */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The request as one curl command line (no jq needed; -w adds the newline the JSON answer lacks). */
export function curlCommand(r: DemoRequest): string {
  const headers = Object.entries(r.headers).map(([k, v]) => `-H ${shellQuote(`${k}: ${v}`)}`);
  return ["curl -s -w '\\n'", shellQuote(r.url), ...headers, "-d", shellQuote(r.body)].join(" ");
}
