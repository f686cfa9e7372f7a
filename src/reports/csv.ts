/**
 * How each report's JSON becomes CSV: which rows, which columns. Columns come
 * from the row message's fields (JSON names, declaration order), so a new
 * measure appears in the CSV without being listed here. Values are written
 * as the JSON has them: money stays a decimal string, times RFC 3339.
 */
import type { DescMessage, JsonValue } from "@bufbuild/protobuf";
import { stringify } from "csv-stringify";
import { ContractCapUsageSchema } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import {
  FunnelStepSchema,
  PerformanceRowSchema,
  PingPostSummarySchema,
  RejectionReasonSchema,
  ReportMeasuresSchema,
  ReturnReasonSchema,
  TimeSeriesPointSchema,
} from "../../gen/es/leadrouter/v1/reports_pb.js";

type Json = Record<string, JsonValue>;

/** One report's CSV: its columns, its rows in a response, and whether it pages (the export then follows every page). */
export interface CsvShape {
  columns: string[];
  rows(response: Json): Json[];
  paged: boolean;
}

/** The JSON names of a message's scalar and enum fields, in declaration order. */
function columnsOf(message: DescMessage): string[] {
  return message.fields
    .filter((f) => f.fieldKind === "scalar" || f.fieldKind === "enum" || f.message?.typeName === "google.protobuf.Timestamp")
    .map((f) => f.jsonName);
}

const list = (v: JsonValue | undefined): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const one = (v: JsonValue | undefined): Json[] => (v && typeof v === "object" && !Array.isArray(v) ? [v as Json] : []);

/** A cap report row per cap: the contract's columns, then the cap's. */
function capRows(response: Json): Json[] {
  return list(response.data).flatMap((c) =>
    list(c.caps).map((cap) => ({ contractId: c.contractId, contractName: c.contractName, buyerId: c.buyerId, ...cap })),
  );
}

/** Every report's CSV, by RPC name. */
export const csvShapes: ReadonlyMap<string, CsvShape> = new Map<string, CsvShape>([
  ["GetSummaryReport", { columns: columnsOf(ReportMeasuresSchema), rows: (r) => one(r.data), paged: false }],
  ["GetPerformanceReport", { columns: columnsOf(PerformanceRowSchema), rows: (r) => list(r.data), paged: true }],
  ["GetTimeSeriesReport", { columns: columnsOf(TimeSeriesPointSchema), rows: (r) => list(r.data), paged: false }],
  ["GetRejectionReport", { columns: columnsOf(RejectionReasonSchema), rows: (r) => list(r.data), paged: false }],
  ["GetReturnReport", { columns: columnsOf(ReturnReasonSchema), rows: (r) => list((r.data as Json | undefined)?.reasons), paged: false }],
  ["GetPingPostReport", { columns: columnsOf(PingPostSummarySchema), rows: (r) => one(r.data), paged: false }],
  [
    "GetCapReport",
    { columns: ["contractId", "contractName", "buyerId", ...columnsOf(ContractCapUsageSchema)], rows: capRows, paged: true },
  ],
  ["GetFunnelReport", { columns: columnsOf(FunnelStepSchema), rows: (r) => list(r.data), paged: false }],
]);

const FORMULA = /^[=+\-@\t\r]/;
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * Text a spreadsheet would run as a formula (a partner's tag "=HYPERLINK(...)")
 * gets a leading apostrophe (OWASP's CSV injection advice); negative amounts
 * such as "-12.50" are numbers and stay as they are.
 */
export function cell(value: string): string {
  return FORMULA.test(value) && !NUMBER.test(value) ? `'${value}` : value;
}

/** A CSV writer (RFC 4180, header row first) for a shape's columns: a Node stream to pipe into the response. */
export function csvWriter(shape: CsvShape) {
  return stringify({ header: true, columns: shape.columns, cast: { string: cell, boolean: (b) => String(b) } });
}
