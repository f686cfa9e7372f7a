/**
 * The buyers' side and the webhook receivers of the harness, on loopback:
 * a buyer endpoint that accepts every direct post (`/leads`) and bids on every
 * ping (`/ping`), and receivers that count each webhook message id they
 * answered 2xx, and can be taken down (port closed) and brought back.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The buyer endpoint. */
export interface BuyerStub {
  postUrl: string;
  pingUrl: string;
  counts: { posts: number; pings: number };
  /** How long each direct post waits before its answer (ms): longer keeps leads in flight. */
  delay: { postMs: number };
  close(): Promise<void>;
}

function drain(req: import("node:http").IncomingMessage): Promise<string> {
  return new Promise((ok) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => ok(text));
    req.on("error", () => ok(text));
  });
}

/** Starts the buyer endpoint; bids are `bid` (a decimal string). */
export async function startBuyerStub(bid = "20.00"): Promise<BuyerStub> {
  const counts = { posts: 0, pings: 0 };
  const delay = { postMs: 0 };
  const server = createServer(async (req, res) => {
    await drain(req);
    const json = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url?.startsWith("/ping")) {
      counts.pings++;
      return json({ bid });
    }
    counts.posts++;
    if (delay.postMs > 0) await new Promise((r) => setTimeout(r, delay.postMs));
    if (!res.destroyed) json({ status: "accepted" });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    postUrl: `${base}/leads`,
    pingUrl: `${base}/ping`,
    counts,
    delay,
    close: () => close(server),
  };
}

/** A webhook receiver. */
export interface WebhookReceiver {
  url: string;
  /** Message id (webhook-id header) → how many times it was answered 2xx. */
  succeeded: Map<string, number>;
  /** Event types by message id. */
  types: Map<string, string>;
  /** lead id of each lead.sold message id. */
  leads: Map<string, string>;
  up(): Promise<void>;
  down(): Promise<void>;
  isUp(): boolean;
  close(): Promise<void>;
}

/** Starts a receiver on a free port (listening unless startDown). */
export async function startReceiver(startDown = false): Promise<WebhookReceiver> {
  const succeeded = new Map<string, number>();
  const types = new Map<string, string>();
  const leads = new Map<string, string>();
  const handler = async (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    const body = await drain(req);
    const id = String(req.headers["webhook-id"] ?? "");
    try {
      const p = JSON.parse(body) as { type?: string; data?: { leadId?: string; lead?: { id?: string } } };
      types.set(id, p.type ?? "");
      const leadId = p.data?.leadId ?? p.data?.lead?.id;
      if (leadId) leads.set(id, leadId);
    } catch {
      // counted all the same
    }
    succeeded.set(id, (succeeded.get(id) ?? 0) + 1);
    res.writeHead(200).end("ok");
  };
  // A port of its own, kept across down/up.
  let server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  let up = true;
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    succeeded,
    types,
    leads,
    isUp: () => up,
    async up() {
      if (up) return;
      server = createServer(handler);
      await new Promise<void>((r, j) => server.once("error", j).listen(port, "127.0.0.1", () => r()));
      up = true;
    },
    async down() {
      if (!up) return;
      up = false;
      await close(server);
    },
    close: () => (up ? close(server) : Promise.resolve()),
  };
  if (startDown) await receiver.down();
  return receiver;
}

function close(server: Server): Promise<void> {
  return new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
}
