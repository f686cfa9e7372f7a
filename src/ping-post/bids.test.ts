/** Asking ping endpoints for bids over a real socket: how each kind of answer is read, and the deadline. */
import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DestinationGuard } from "../delivery/destination-guard.ts";
import { askBuyers } from "./bids.ts";

let stub: Server;
let base: string;

function answer(path: string, res: ServerResponse): void {
  const json = (status: number, text: string) => res.writeHead(status, { "content-type": "application/json" }).end(text);
  if (path === "/bid") json(200, '{"bid":"4.5"}');
  else if (path === "/bom") json(200, '\uFEFF{"price":3}');
  else if (path === "/none") json(200, '{"bid":0}');
  else if (path === "/huge") json(200, `{"bid":"1.00","pad":"${"x".repeat(20_000)}"}`);
  else if (path === "/moved") res.writeHead(302, { location: "/bid" }).end();
  else if (path === "/late") setTimeout(() => json(200, '{"bid":"9.00"}'), 1000);
  else json(500, "{}");
}

// The stub listens on loopback.
const guard = new DestinationGuard(true);

beforeAll(async () => {
  stub = createServer((req, res) => req.resume().on("end", () => answer(req.url ?? "", res)));
  stub.listen(0, "127.0.0.1");
  await once(stub, "listening");
  base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await guard.close();
  stub.closeAllConnections();
  stub.close();
});

describe("askBuyers", () => {
  it("reads bids (a leading BOM too), refuses redirects and long answers, and reports late ones by the deadline", async () => {
    const paths = ["/bid", "/bom", "/none", "/huge", "/moved", "/broken", "/late"];
    const started = performance.now();
    const answers = await askBuyers(
      guard,
      paths.map((p) => ({ url: `${base}${p}`, body: { zip: "78701" } })),
      300,
    );
    const elapsed = performance.now() - started;
    expect(answers.map(({ latencyMs: _, ...a }) => a)).toEqual([
      { kind: "bid", amount: "4.50" },
      { kind: "bid", amount: "3.00" },
      { kind: "declined", reason: "no_bid" },
      { kind: "failed", reason: "answer_too_large" },
      { kind: "failed", reason: "network_error" },
      { kind: "failed", reason: "http_500" },
      { kind: "late", reason: "ping_timeout" },
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed, `answered in ${elapsed.toFixed(1)} ms`).toBeLessThan(350);
  });
});
