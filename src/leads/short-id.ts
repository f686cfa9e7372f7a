/** Human lead ids: "LD-" and 6 Crockford base32 characters (no I, L, O, U). */
import { randomInt } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A random short id; uniqueness per tenant is enforced by the database. */
export function newShortId(): string {
  let out = "LD-";
  for (let i = 0; i < 6; i++) out += CROCKFORD[randomInt(32)];
  return out;
}

/** True when the text has the short id's shape. */
export function isShortId(text: string): boolean {
  return /^LD-[0-9A-HJKMNP-TV-Z]{6}$/.test(text);
}
