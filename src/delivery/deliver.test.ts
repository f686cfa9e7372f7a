/** Rendering delivery bodies from templates and reading buyers' answers: the pure half of delivery. */
import { describe, expect, it } from "vitest";
import { excerpt, keptReason, reasonChars } from "./deliver.ts";
import { placeholdersOf, renderTemplate, templateProblem, valueAt } from "./field-templates.ts";
import { encodeBody, renderRequest } from "./request-body.ts";
import { parseBuyerResponse, priceOf } from "./buyer-response.ts";
import type { DeliveryTarget } from "./types.ts";

const target = (init: Partial<DeliveryTarget> = {}): DeliveryTarget => ({
  method: "POST",
  url: "http://example.test/",
  bodyFormat: "json",
  headers: {},
  auth: { type: "none" },
  fieldTemplates: {},
  timeoutMs: 5000,
  acceptPath: "",
  acceptValues: [],
  pricePath: "",
  reasonPath: "",
  acceptRegex: "",
  ...init,
});
const lead = { firstName: "Ada", lastName: "Lovelace", zip: "78701", vehicleYear: 2019, homeowner: true };

describe("field templates", () => {
  it("checks syntax: placeholders name fields, braces balance", () => {
    expect(templateProblem("{{firstName}} {{ lastName }}")).toBeUndefined();
    expect(templateProblem("literal")).toBeUndefined();
    expect(templateProblem("{{first name}}")).toMatch(/not a placeholder/);
    expect(templateProblem("{{firstName}")).toMatch(/unbalanced/);
    expect(placeholdersOf("{{a}}-{{ b.c }}")).toEqual(["a", "b.c"]);
  });
  it("a lone placeholder keeps the value's type; mixed text is a string; missing values render empty and are reported", () => {
    expect(renderTemplate("{{vehicleYear}}", lead)).toEqual({ value: 2019, missing: [] });
    expect(renderTemplate("{{firstName}} {{lastName}}", lead)).toEqual({ value: "Ada Lovelace", missing: [] });
    expect(renderTemplate("LR-{{zip}}-{{source}}", lead)).toEqual({ value: "LR-78701-", missing: ["source"] });
  });
  it("dotted paths reach into objects and arrays", () => {
    expect(valueAt({ a: { b: [{ c: 1 }] } }, "a.b[0].c")).toBe(1);
    expect(valueAt({ a: 1 }, "a.b")).toBeUndefined();
  });
});

describe("bodies", () => {
  it("json, form and xml encodings", () => {
    expect(encodeBody("json", { a: 1, b: "x" })).toBe('{"a":1,"b":"x"}');
    expect(encodeBody("form", { a: 1, b: "x y", c: ["p", "q"], d: null })).toBe("a=1&b=x+y&c=p&c=q&d=");
    expect(encodeBody("xml", { name: "A&B <c>", n: 2, o: { p: true } })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<lead><name>A&#38;B &#60;c&#62;</name><n>2</n><o><p>true</p></o></lead>',
    );
  });
  it("templates choose the fields; headers and auth are added, auth last", () => {
    const r = renderRequest(
      target({
        fieldTemplates: { first_name: "{{firstName}}", year: "{{vehicleYear}}" },
        headers: { "X-Source": "lr", Authorization: "overridden" },
        auth: { type: "basic", username: "u", password: "p" },
      }),
      lead,
    );
    expect(JSON.parse(r.body)).toEqual({ first_name: "Ada", year: 2019 });
    expect(r.headers).toEqual({ "content-type": "application/json", "x-source": "lr", authorization: `Basic ${btoa("u:p")}` });
  });
});

describe("answers", () => {
  const rules = target({ acceptPath: "status", acceptValues: ["accepted", "ok"], pricePath: "price", reasonPath: "reason" });
  it("reads accept flag, price and reason from JSON", () => {
    expect(parseBuyerResponse(rules, 200, "application/json", '{"status":"OK","price":"12.5"}')).toEqual({
      outcome: "accepted",
      price: "12.50",
      reason: "",
    });
    expect(parseBuyerResponse(rules, 200, "application/json", '{"status":"rejected","reason":"duplicate"}')).toEqual({
      outcome: "rejected",
      price: "",
      reason: "duplicate",
    });
  });
  it("5xx and redirects are errors, 4xx never accepts, non-JSON under JSON rules is an error", () => {
    expect(parseBuyerResponse(rules, 503, "", "").outcome).toBe("error");
    expect(parseBuyerResponse(rules, 302, "", "").outcome).toBe("error");
    expect(parseBuyerResponse(rules, 400, "application/json", '{"status":"ok"}').outcome).toBe("rejected");
    expect(parseBuyerResponse(rules, 200, "text/plain", "ok").outcome).toBe("error");
  });
  it("without rules any 2xx accepts; acceptRegex reads text answers with price and reason groups", () => {
    expect(parseBuyerResponse(target(), 204, "", "").outcome).toBe("accepted");
    const re = target({ acceptRegex: "^ACCEPTED price=(?<price>[\\d.]+)" });
    expect(parseBuyerResponse(re, 200, "text/plain", "ACCEPTED price=7.25")).toEqual({ outcome: "accepted", price: "7.25", reason: "" });
    expect(parseBuyerResponse(re, 200, "text/plain", "DENIED").outcome).toBe("rejected");
  });
  it("prices are two-place decimal strings; excerpts stop at 2 KiB", () => {
    expect([priceOf(3), priceOf("$1,200.5"), priceOf("free"), priceOf(undefined)]).toEqual(["3.00", "1200.50", "", ""]);
    expect(Buffer.byteLength(excerpt("é".repeat(3000)))).toBeLessThanOrEqual(2048);
    expect(excerpt("short")).toBe("short");
  });
  it("what is kept of an answer holds no NUL (Postgres text refuses it) and a reason stops at 256 characters", () => {
    expect(excerpt("\u0089PNG\u0000\u0000x")).toBe("\u0089PNG\uFFFD\uFFFDx");
    expect(keptReason("no\u0000")).toBe("no\uFFFD");
    expect(Array.from(keptReason("é".repeat(10_000)))).toHaveLength(reasonChars);
    expect(keptReason("duplicate")).toBe("duplicate");
  });
});
