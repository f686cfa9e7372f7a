/**
 * API key secrets: `lr_live_…` / `lr_test_…`, looked up by their prefix and
 * verified against a SHA-256 hash (keys are high-entropy, so a slow hash
 * would add latency to every call without adding safety).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PREFIX_CHARS = 8;
const SECRET_CHARS = 40;

function randomBase62(n: number): string {
  const bytes = randomBytes(n * 2);
  let out = "";
  for (let i = 0; out.length < n && i < bytes.length; i++) {
    // 248 = 4 * 62: drop the top values so every character is equally likely.
    if (bytes[i] < 248) out += ALPHABET[bytes[i] % 62];
  }
  return out.length === n ? out : randomBase62(n);
}

/** A freshly generated secret with its lookup prefix and hash. */
export interface NewSecret {
  secret: string;
  prefix: string;
  hash: Buffer;
}

/** Generates a key secret for the given mode. */
export function newSecret(mode: "live" | "test"): NewSecret {
  const head = `lr_${mode}_${randomBase62(PREFIX_CHARS)}`;
  const secret = `${head}${randomBase62(SECRET_CHARS)}`;
  return { secret, prefix: head, hash: hashSecret(secret) };
}

/** The lookup prefix of a presented key, or undefined when it has the wrong shape. */
export function prefixOf(key: string): string | undefined {
  const m = /^(lr_(?:live|test)_[0-9A-Za-z]{8})[0-9A-Za-z]{40}$/.exec(key);
  return m?.[1];
}

/** SHA-256 of a secret. */
export function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, hash: Uint8Array): boolean {
  const presented = hashSecret(secret);
  return presented.length === hash.length && timingSafeEqual(presented, hash);
}

/** A constant-time comparison against a fixed secret (the bootstrap superadmin key), hashed once. */
export function sameStringAs(expected: string): (presented: string) => boolean {
  const want = createHash("sha256").update(expected).digest();
  return (presented) => timingSafeEqual(createHash("sha256").update(presented).digest(), want);
}
