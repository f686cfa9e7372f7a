/**
 * What a delivery is made of, shared by the request body, the buyer's response's
 * parsing, the secrets at rest and the delivery itself: the target (where
 * and how to send), its credentials, and the result.
 */

/** How a body is encoded. */
export type BodyFormat = "json" | "form" | "xml";

/** Credentials sent with a delivery (secrets included: this never leaves the server). */
export type DeliveryAuth =
  | { type: "none" }
  | { type: "basic"; username: string; password: string }
  | { type: "bearer"; token: string }
  | { type: "header"; name: string; value: string };

/** Everything needed to deliver to one destination. */
export interface DeliveryTarget {
  method: "POST" | "PUT";
  url: string;
  bodyFormat: BodyFormat;
  headers: Record<string, string>;
  auth: DeliveryAuth;
  fieldTemplates: Record<string, string>;
  timeoutMs: number;
  acceptPath: string;
  acceptValues: string[];
  pricePath: string;
  reasonPath: string;
  acceptRegex: string;
}

/** What an answer meant. */
export type DeliveryOutcome = "accepted" | "rejected" | "error";

/** The result of one delivery. */
export interface DeliveryResult {
  outcome: DeliveryOutcome;
  /** 0 when no answer came. */
  httpStatus: number;
  latencyMs: number;
  price: string;
  reason: string;
  responseExcerpt: string;
  requestExcerpt: string;
  unknownPlaceholders: string[];
}
