/**
 * Destination secrets at rest: a password, bearer token or auth header value
 * is sealed with AES-256-GCM under SECRETS_KEY before it is stored, and opened
 * only to deliver. A database dump or a read replica then holds no buyer's
 * credentials. Without a key they are stored as given (the server warns at
 * start); values stored before a key was set are read as they are and sealed
 * when next written.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { DeliveryAuth } from "./types.ts";

const PREFIX = "lr1:";

/** Parses SECRETS_KEY: 32 bytes, as 64 hex digits or base64. */
export function parseSecretsKey(text: string): Buffer {
  const bytes = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  if (bytes.length !== 32) throw new Error("SECRETS_KEY must be 32 bytes: 64 hex digits or base64 (openssl rand -base64 32)");
  return bytes;
}

/** A secret that could not be opened: sealed under another key, or with no key configured. */
export class UnreadableSecret extends Error {
  override name = "UnreadableSecret";
}

function seal(key: Buffer | null, value: string): string {
  if (!key || value === "" || value.startsWith(PREFIX)) return value;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const sealed = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64");
}

function open(key: Buffer | null, value: string): string {
  if (!value.startsWith(PREFIX)) return value;
  if (!key) throw new UnreadableSecret("the destination's secret is sealed and this server has no SECRETS_KEY");
  const raw = Buffer.from(value.slice(PREFIX.length), "base64");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    throw new UnreadableSecret("the destination's secret was sealed under another SECRETS_KEY");
  }
}

/** The auth with its one secret (password, token or header value) passed through f. */
function withSecret(a: DeliveryAuth, f: (secret: string) => string): DeliveryAuth {
  if (a.type === "basic") return { ...a, password: f(a.password) };
  if (a.type === "bearer") return { ...a, token: f(a.token) };
  if (a.type === "header") return { ...a, value: f(a.value) };
  return a;
}

/**
 * One server's SECRETS_KEY (null: secrets are stored as given), with the
 * two things done with it; built at start (src/app.ts) and passed to what
 * stores or sends a destination's auth.
 */
export class Secrets {
  readonly #key: Buffer | null;

  constructor(key: Buffer | null) {
    this.#key = key;
  }

  /** The auth as stored: its secret sealed (when a key is set; an already sealed one is kept). */
  sealAuth(a: DeliveryAuth): DeliveryAuth {
    return withSecret(a, (v) => seal(this.#key, v));
  }

  /** The auth as sent: its secret opened. Throws UnreadableSecret when it cannot be. */
  openAuth(a: DeliveryAuth): DeliveryAuth {
    return withSecret(a, (v) => open(this.#key, v));
  }

  /** A secret as stored (a webhook's signing secret): sealed when a key is set; an already sealed one is kept. */
  seal(value: string): string {
    return seal(this.#key, value);
  }

  /** A stored secret opened. Throws UnreadableSecret when it cannot be. */
  open(value: string): string {
    return open(this.#key, value);
  }
}
