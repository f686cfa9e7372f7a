/**
 * Where a tenant's URL may send this server: deliveries, pings and endpoint
 * tests go to buyers' systems, never to the network the server runs in —
 * loopback, private and link-local ranges (cloud metadata answers at
 * 169.254.169.254), carrier-grade NAT, multicast and reserved addresses. The
 * address is checked when the connection is made, on every address a name
 * resolves to, so a name cannot pass a check and then resolve inside.
 * DESTINATIONS_ALLOW_PRIVATE=true lifts the rule (local development, tests).
 * One exception holds always: the exact URLs of the server's own
 * endpoints meant to be destinations (the sandbox buyer below the server's
 * public URL, src/server/sandbox-buyer.ts) — that URL, nothing else at the
 * same host.
 */
import dns, { type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { Agent, type Dispatcher } from "undici";

const inside = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  inside.addSubnet(network, prefix, "ipv4");
}
// IPv4-mapped addresses are checked as the IPv4 address they carry (isInside); NAT64 reaches IPv4 inside too.
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  inside.addSubnet(network, prefix, "ipv6");
}

/** A destination this server does not send to. */
export class ForbiddenDestination extends Error {
  override name = "ForbiddenDestination";
}

/** Is the address one of the network's own (loopback, private, link-local, reserved)? Names are not addresses: false. */
export function isInside(address: string): boolean {
  const version = isIP(address);
  if (version === 4) return inside.check(address, "ipv4");
  if (version !== 6) return false;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? inside.check(mapped[1], "ipv4") : inside.check(address, "ipv6");
}

const refusal = (host: string) =>
  `${host} is inside the server's network (loopback, private or link-local): not a destination; ` +
  "a development server allows it with DESTINATIONS_ALLOW_PRIVATE=true";

/**
 * One server's destination rules: whether private destinations are allowed
 * (DESTINATIONS_ALLOW_PRIVATE) and which of its own endpoints are
 * destinations. Built by the server at start (src/app.ts) and passed to
 * whatever checks or sends to a tenant's URL, so servers with different
 * settings can run in one process. It holds the connection pools the
 * buyers' requests use, since their name lookups follow its rules.
 */
export class DestinationGuard {
  readonly #own = new Set<string>();
  /** Connections to buyers: kept alive 4 s, one request at a time; every name is resolved through the guard. */
  readonly #buyers: Agent;
  /** Connections to the server's own endpoints (its sandbox buyer), reached at the public URL as configured. */
  readonly #ownAgent = new Agent({ keepAliveTimeout: 4_000 });

  /** DESTINATIONS_ALLOW_PRIVATE: addresses inside this network are destinations too (local development, tests). */
  readonly allowPrivate: boolean;

  constructor(allowPrivate: boolean) {
    this.allowPrivate = allowPrivate;
    this.#buyers = new Agent({ keepAliveTimeout: 4_000, connect: { lookup: this.lookup } });
  }

  /**
   * Lets destinations name exactly this URL of the server's own (its sandbox
   * buyer), wherever it is; returns the function that withdraws it.
   */
  allowOwnEndpoint(url: string): () => void {
    const href = new URL(url).href;
    this.#own.add(href);
    return () => {
      this.#own.delete(href);
    };
  }

  /** Is this URL exactly one of the server's own endpoints (allowOwnEndpoint)? Same scheme, host, port and path; no query. */
  isOwnEndpoint(url: string | URL): boolean {
    const href = typeof url === "string" ? (URL.canParse(url) ? new URL(url).href : "") : url.href;
    return href !== "" && this.#own.has(href);
  }

  /**
   * Why a URL's host may not be a destination, from the host alone: an address
   * inside the network, or localhost. "" when nothing is known against it (a
   * name is checked again when it resolves).
   */
  refusedHost(hostname: string): string {
    if (this.allowPrivate) return "";
    const host = hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
    if (host === "localhost" || host.endsWith(".localhost") || isInside(host)) return refusal(host);
    return "";
  }

  /** refusedHost for a URL's host, "" for the server's own endpoints ("" too for a URL that does not parse: its own check names that). */
  refusedUrl(url: string): string {
    if (!URL.canParse(url) || this.isOwnEndpoint(url)) return "";
    return this.refusedHost(new URL(url).hostname);
  }

  /** dns.lookup for the buyers' connections: a name that resolves to any address inside the network is refused. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const bad = this.allowPrivate ? undefined : addresses.find((a) => isInside(a.address));
      if (bad) return callback(new ForbiddenDestination(refusal(`${hostname} (${bad.address})`)), "", 0);
      if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };

  /** The connection pool a request to this URL goes through: the own endpoints' or the guarded one. */
  dispatcherFor(url: URL): Dispatcher {
    return this.isOwnEndpoint(url) ? this.#ownAgent : this.#buyers;
  }

  /** Closes the connection pools (when the server stops). */
  async close(): Promise<void> {
    await Promise.all([this.#buyers.close(), this.#ownAgent.close()]);
  }
}
