/**
 * GetBuyer and ListBuyers through REST, Connect JSON and gRPC at a fixed
 * concurrency, plus the REST/Connect latency ratio from the same run.
 */
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { grpc, http1, interleaved, type Result } from "./load.ts";
import { type BenchServer, post } from "./server.ts";

/** One row of the README's performance table. */
export interface Row {
  name: string;
  result: Result;
}

/** Runs the core benchmark and returns its rows and ratios. */
export async function benchCore(s: BenchServer, concurrency: number, seconds: number): Promise<{ rows: Row[]; notes: string[] }> {
  const buyer = await post(`${s.url}/api/v1/buyers`, s.adminKey, { name: "Bench Buyer", tags: ["bench"] });
  for (let i = 0; i < 19; i++) await post(`${s.url}/api/v1/buyers`, s.adminKey, { name: `Buyer ${i}`, tags: ["bench"] });
  const id = buyer.data.id as string;
  const auth = { authorization: `Bearer ${s.adminKey}` };
  const json = { ...auth, "content-type": "application/json" };
  const getRest = (t: number) => http1(s.url, { method: "GET", path: `/api/v1/buyers/${id}`, headers: auth }, concurrency, t);
  const getConnect = (t: number) =>
    http1(
      s.url,
      { method: "POST", path: "/leadrouter.v1.BuyerService/GetBuyer", headers: json, body: JSON.stringify({ id }) },
      concurrency,
      t,
    );
  const getGrpc = (t: number) => grpc(s.url, (c) => c.getBuyer({ id }, { headers: auth }), BuyerService, concurrency, t);
  const listRest = (t: number) => http1(s.url, { method: "GET", path: "/api/v1/buyers?pageSize=20", headers: auth }, concurrency, t);
  const listConnect = (t: number) =>
    http1(
      s.url,
      { method: "POST", path: "/leadrouter.v1.BuyerService/ListBuyers", headers: json, body: JSON.stringify({ pageSize: 20 }) },
      concurrency,
      t,
    );
  const listGrpc = (t: number) => grpc(s.url, (c) => c.listBuyers({ pageSize: 20 }, { headers: auth }), BuyerService, concurrency, t);
  // Each protocol pair runs in turns, so the REST/Connect ratio compares like with like.
  const rows: Row[] = [
    ...(await interleaved(
      [
        ["GetBuyer REST", getRest],
        ["GetBuyer Connect JSON", getConnect],
        ["GetBuyer gRPC", getGrpc],
      ],
      seconds,
    )),
    ...(await interleaved(
      [
        ["ListBuyers REST (20 items)", listRest],
        ["ListBuyers Connect JSON (20 items)", listConnect],
        ["ListBuyers gRPC (20 items)", listGrpc],
      ],
      seconds,
    )),
  ];
  const p50 = (n: string) => rows.find((r) => r.name === n)?.result.p50 ?? Number.NaN;
  const ratio = (a: string, b: string) => (p50(a) / p50(b)).toFixed(2);
  return {
    rows,
    notes: [
      `REST/Connect p50 ratio, GetBuyer: ${ratio("GetBuyer REST", "GetBuyer Connect JSON")}x (target ≤ 1.15x)`,
      `REST/Connect p50 ratio, ListBuyers: ${ratio("ListBuyers REST (20 items)", "ListBuyers Connect JSON (20 items)")}x`,
    ],
  };
}
