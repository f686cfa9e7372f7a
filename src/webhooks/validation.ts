/**
 * What a client may set on a webhook endpoint: a URL the destination guard
 * lets the server send to, event types it may see, a description and a
 * throttle. The checks that need the caller (its role, live or test key)
 * run in the transaction, with the others' violations reported together.
 */
import type { Webhook } from "../../gen/es/leadrouter/v1/webhooks_pb.js";
import type { DestinationGuard } from "../delivery/destination-guard.ts";
import { isEventType } from "../events/types.ts";
import type { Principal } from "../pipeline/principal.ts";
import type { Values } from "../standard/table.ts";
import { touches } from "../standard/update-mask.ts";
import type { Violations } from "../standard/violations.ts";

const maxEventTypes = 100;
const maxThrottle = 1000;
/** Seven days: the longest a rotated-out secret keeps signing. */
export const maxOverlapSeconds = 604_800;
/** A day: how long a rotated-out secret signs when the request does not say. */
export const defaultOverlapSeconds = 86_400;

/**
 * The event types a partner or buyer key may subscribe to: those whose
 * events can concern it (src/events/event.ts visibleTo). A partner sees its
 * own leads' and pings' events; a buyer its purchases' and its own
 * configuration's. Both see their own endpoints' `webhook.*` events.
 * Admin keys may subscribe to every type.
 */
const scopeOf: Record<"partner" | "buyer", (type: string) => boolean> = {
  partner: (t) => t.startsWith("lead.") || t.startsWith("ping.") || t.startsWith("webhook."),
  buyer: (t) => ["lead.sold", "lead.returned", "lead.updated"].includes(t) || /^(buyer|contract|destination|webhook)\./.test(t),
};

/** Whether a key of this role may subscribe to (or test with) the event type; `*` means every type it may see. */
export function inScope(role: Principal["role"], type: string): boolean {
  return type === "*" || role === "admin" || role === "superadmin" || scopeOf[role](type);
}

/** Adds the problems of the event types (known names or `*`, no repeats), each named by its index. */
export function checkEventTypes(v: Violations, types: readonly string[]): void {
  if (types.length === 0) v.add("eventTypes", "name at least one event type, or * for every type");
  if (types.length > maxEventTypes) v.add("eventTypes", `at most ${maxEventTypes} event types`);
  types.forEach((t, i) => {
    if (t !== "*" && !isEventType(t)) v.add(`eventTypes[${i}]`, `${JSON.stringify(t)} is not an event type (see GET /api/v1/event-types)`);
    else if (types.indexOf(t) !== i) v.add(`eventTypes[${i}]`, `repeats eventTypes[${types.indexOf(t)}]`);
  });
}

/** Column values for the masked paths of w, with the problems that need no caller added to v; `all` for create. */
export function webhookValues(w: Webhook, paths: readonly string[] | "all", v: Violations): Values {
  const has = (p: string) => paths === "all" || touches(paths, p);
  const out: Values = {};
  if (has("url")) out.url = w.url.trim();
  if (has("description")) {
    v.maxLength("description", w.description, 500);
    out.description = w.description;
  }
  if (has("event_types")) {
    checkEventTypes(v, w.eventTypes);
    out.event_types = w.eventTypes;
  }
  if (has("throttle_per_second")) {
    const t = w.throttlePerSecond;
    if (t < 0 || t > maxThrottle) v.add("throttlePerSecond", `must be between 1 and ${maxThrottle}, or 0 for no limit`);
    out.throttle_per_second = t === 0 ? null : t;
  }
  return out;
}

function urlProblem(guard: DestinationGuard, url: string, testMode: boolean): string {
  if (url === "") return "is required";
  if (!URL.canParse(url)) return "must be an absolute URL, e.g. https://crm.example.com/hooks/leadrouter";
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "must be an https URL";
  // Live events carry consumers' personal data: only over TLS, unless this is a test key or a development server.
  if (parsed.protocol === "http:" && !testMode && !guard.allowPrivate) {
    return "must be an https URL (http is allowed for test keys, or on a server with DESTINATIONS_ALLOW_PRIVATE=true)";
  }
  if (parsed.username || parsed.password) return "must not carry credentials";
  if (url.length > 2000) return "must be at most 2000 characters";
  return guard.refusedUrl(url);
}

/** Adds the problems that depend on who asks: the URL for the key's mode (test or live), the event types for the owner's role. */
export function checkForCaller(guard: DestinationGuard, testMode: boolean, role: Principal["role"], values: Values, v: Violations): void {
  if ("url" in values) {
    const problem = urlProblem(guard, values.url as string, testMode);
    if (problem) v.add("url", problem);
  }
  if ("event_types" in values) {
    (values.event_types as string[]).forEach((t, i) => {
      if (isEventType(t) && !inScope(role, t)) v.add(`eventTypes[${i}]`, `a ${role}'s webhook cannot subscribe to ${t} events`);
    });
  }
}

/** The rotation overlap in seconds: the default when absent, else 0 to 7 days. */
export function overlapOf(v: Violations, overlap: number | undefined): number {
  if (overlap === undefined) return defaultOverlapSeconds;
  if (overlap < 0 || overlap > maxOverlapSeconds) v.add("overlap", `must be between 0 and ${maxOverlapSeconds} seconds (7 days)`);
  return overlap;
}
