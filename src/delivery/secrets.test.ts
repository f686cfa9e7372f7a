/** Destination secrets at rest: sealed under SECRETS_KEY, opened only with it. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseSecretsKey, Secrets, UnreadableSecret } from "./secrets.ts";

/** The two methods of one server's secrets, callable alone. */
const bound = (s: Secrets) => ({ sealAuth: s.sealAuth.bind(s), openAuth: s.openAuth.bind(s) });

describe("destination secrets", () => {
  it("are sealed under the key (a new nonce each time) and opened back", () => {
    const { sealAuth, openAuth } = bound(new Secrets(randomBytes(32)));
    const a = sealAuth({ type: "bearer", token: "tok-123" });
    const b = sealAuth({ type: "bearer", token: "tok-123" });
    expect(a.type === "bearer" && a.token.startsWith("lr1:")).toBe(true);
    expect(JSON.stringify(a)).not.toContain("tok-123");
    expect(a).not.toEqual(b);
    expect(openAuth(a)).toEqual({ type: "bearer", token: "tok-123" });
    const basic = sealAuth({ type: "basic", username: "acme", password: "s3cret" });
    expect(basic).toMatchObject({ username: "acme" });
    expect(openAuth(basic)).toEqual({ type: "basic", username: "acme", password: "s3cret" });
    const header = sealAuth({ type: "header", name: "X-Api-Key", value: "k" });
    expect(openAuth(header)).toEqual({ type: "header", name: "X-Api-Key", value: "k" });
    // Sealed once: a kept secret is not sealed again.
    expect(sealAuth(a)).toEqual(a);
    expect(sealAuth({ type: "none" })).toEqual({ type: "none" });
  });

  it("cannot be opened without the key, under another key, or once altered", () => {
    const keyed = new Secrets(randomBytes(32));
    const sealed = keyed.sealAuth({ type: "bearer", token: "tok-123" });
    const token = sealed.type === "bearer" ? sealed.token : "";
    const altered = { type: "bearer" as const, token: `${token.slice(0, -4)}${token.endsWith("AAAA") ? "BBBB" : "AAAA"}` };
    expect(() => keyed.openAuth(altered)).toThrow(UnreadableSecret);
    expect(() => new Secrets(randomBytes(32)).openAuth(sealed)).toThrow(/another SECRETS_KEY/);
    expect(() => new Secrets(null).openAuth(sealed)).toThrow(/no SECRETS_KEY/);
  });

  it("stores secrets as given without a key, and reads values stored before a key was set", () => {
    expect(new Secrets(null).sealAuth({ type: "bearer", token: "plain" })).toEqual({ type: "bearer", token: "plain" });
    expect(new Secrets(randomBytes(32)).openAuth({ type: "bearer", token: "plain" })).toEqual({ type: "bearer", token: "plain" });
  });

  it("takes the key as 64 hex digits or base64 of 32 bytes, nothing else", () => {
    const k = randomBytes(32);
    expect(parseSecretsKey(k.toString("hex"))).toEqual(k);
    expect(parseSecretsKey(k.toString("base64"))).toEqual(k);
    expect(() => parseSecretsKey("too-short")).toThrow(/32 bytes/);
    expect(() => parseSecretsKey(randomBytes(16).toString("base64"))).toThrow(/32 bytes/);
  });
});
