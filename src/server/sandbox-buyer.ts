/**
 * The sandbox buyer: an endpoint of the server itself that takes any lead
 * and answers as a buyer accepting it, so a tenant can sell and deliver
 * leads end to end (the demo, a first try) without a buyer's system. It
 * keeps nothing. The destination guard lets destinations name exactly this
 * URL below the server's public URL (src/delivery/destination-guard.ts), so no
 * DESTINATIONS_ALLOW_PRIVATE is needed to reach it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { uuidv7 } from "uuidv7";

/** Where the sandbox buyer answers, below the server's public URL. */
export const SANDBOX_BUYER_PATH = "/sandbox/buyer";

/**
 * What the sandbox buyer answers to a delivery: a destination with
 * `acceptPath: "status"` and `acceptValues: ["accepted"]` (or no accept
 * rule at all: any 2xx) reads it as accepted.
 */
export interface SandboxAnswer {
  status: "accepted";
  /** A reference of the buyer's own, as buyers' systems give one. */
  reference: string;
}

/** Answers a request to SANDBOX_BUYER_PATH: POST and PUT are accepted deliveries, anything else 405 in the error envelope. */
export function serveSandboxBuyer(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== "POST" && req.method !== "PUT") {
    const body = JSON.stringify({
      error: { code: "method_not_allowed", message: `${req.method} is not allowed here; allowed: POST, PUT`, details: [] },
    });
    res.writeHead(405, { "content-type": "application/json", allow: "POST, PUT", "content-length": Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  // The lead itself is not read: the sandbox accepts whatever it is sent, in any format.
  req.resume();
  req.once("end", () => {
    const answer: SandboxAnswer = { status: "accepted", reference: `sandbox-${uuidv7()}` };
    const body = JSON.stringify(answer);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
}
