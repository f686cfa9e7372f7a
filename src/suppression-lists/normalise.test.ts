/** The normal forms suppression entries are stored and looked up in. */
import { describe, expect, it } from "vitest";
import { digest, entryValue, lookupValue, normaliseEmail, normalisePhone } from "./normalise.ts";

describe("normaliseEmail", () => {
  it("trims and lower-cases; refuses what is not an address", () => {
    expect(normaliseEmail("  Jo.Doe@Example.COM ")).toBe("jo.doe@example.com");
    expect(normaliseEmail("jo@example")).toBeUndefined();
    expect(normaliseEmail("jo doe@example.com")).toBeUndefined();
    expect(normaliseEmail("")).toBeUndefined();
  });
});

describe("normalisePhone", () => {
  it("turns 10 US digits, 11 digits with a leading 1 and punctuated forms into +1 E.164", () => {
    for (const raw of ["5125551212", "15125551212", "(512) 555-1212", "512.555.1212", "+1 512 555 1212", " +15125551212 "]) {
      expect(normalisePhone(raw), raw).toBe("+15125551212");
    }
  });
  it("keeps other countries' E.164 numbers", () => {
    expect(normalisePhone("+44 20 7946 0958")).toBe("+442079460958");
  });
  it("refuses letters, wrong lengths and impossible North American numbers", () => {
    for (const raw of [
      "512555121",
      "25125551212",
      "512-555-CALL",
      "+0123456789",
      "+1 012 555 1212",
      "+1 512 155 1212",
      "+1234567890123456",
      "",
    ]) {
      expect(normalisePhone(raw), raw).toBeUndefined();
    }
  });
});

describe("entryValue", () => {
  it("stores hashes as lower-case hex of the kind's length", () => {
    const md5 = digest("md5", "jo@example.com");
    expect(entryValue("md5", ` ${md5.toUpperCase()} `)).toBe(md5);
    expect(entryValue("md5", digest("sha256", "x"))).toBeUndefined();
    expect(entryValue("sha256", digest("sha256", "x"))).toBe(digest("sha256", "x"));
    expect(entryValue("sha256", "jo@example.com")).toBeUndefined();
  });
});

describe("lookupValue", () => {
  it("on a hash list, hashes a raw email or phone in its normal form", () => {
    expect(lookupValue("md5", " Jo@Example.com")).toBe(digest("md5", "jo@example.com"));
    expect(lookupValue("sha256", "(512) 555-1212")).toBe(digest("sha256", "+15125551212"));
    expect(lookupValue("md5", "not a thing")).toBeUndefined();
  });
  it("on a plain list, is the entry form", () => {
    expect(lookupValue("email", "JO@example.com")).toBe("jo@example.com");
    expect(lookupValue("phone", digest("md5", "x"))).toBeUndefined();
  });
});
