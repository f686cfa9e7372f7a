/** A buyer's ping endpoint for tests: records each ping and answers with a bid, optionally late. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A stub ping endpoint on a free loopback port. */
export interface PingStub {
  url: string;
  received: Record<string, any>[];
  answer: { status: number; body: unknown; delayMs: number };
  close(): Promise<void>;
}

/** Starts a ping endpoint that answers `body` after `delayMs`. */
export async function startPingStub(body: unknown, delayMs = 0): Promise<PingStub> {
  const answer = { status: 200, body, delayMs };
  const received: Record<string, any>[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => {
      received.push(JSON.parse(text || "{}"));
      const timer = setTimeout(() => {
        if (!res.destroyed) res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
      }, answer.delayMs);
      // The router aborts late pings; stop waiting for them.
      res.on("close", () => clearTimeout(timer));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping`,
    received,
    answer,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
