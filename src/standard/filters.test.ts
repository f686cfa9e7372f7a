/** The list filters most resources share: what a page token is bound to, and which rows they select. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { Buyer_Status } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { TimeRangeSchema } from "../../gen/es/leadrouter/v1/common_pb.js";
import { nameOf, statusTagsCreated } from "./filters.ts";

describe("nameOf", () => {
  it("names an enum value, and reads the zero value as no filter", () => {
    expect(nameOf(Buyer_Status, Buyer_Status.paused)).toBe("paused");
    expect(nameOf(Buyer_Status, 0)).toBeUndefined();
  });
});

describe("statusTagsCreated", () => {
  it("binds page tokens to status, tags and the time range, in that order (a token issued before stays valid)", () => {
    const created = create(TimeRangeSchema, { start: timestampFromDate(new Date("2025-01-01T00:00:00Z")) });
    const f = statusTagsCreated("active", ["vip"], created);
    expect(JSON.stringify(f.key)).toBe('{"status":"active","tags":["vip"],"created":["2025-01-01T00:00:00.000Z",""]}');
    expect(f.where).toHaveLength(3);
  });

  it("adds no condition for a filter the request leaves empty", () => {
    const f = statusTagsCreated(undefined, [], undefined);
    expect(JSON.stringify(f.key)).toBe('{"tags":[],"created":["",""]}');
    expect(f.where).toEqual([]);
  });
});
