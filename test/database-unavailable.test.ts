/**
 * A database that cannot be reached is a passing condition, not a bug: the
 * API answers 503 `unavailable` (with a retry hint), never 500 `internal`,
 * whether the connection is refused or cut under a query; and webhook
 * delivery keeps writing an attempt's outcome until the database is back,
 * so a message the receiver took is not sent again after a restart.
 */
import { Code, ConnectError, createContextValues, type UnaryRequest } from "@connectrpc/connect";
import pg from "pg";
import pino from "pino";
import { createPool, sql } from "slonik";
import { describe, expect, inject, it } from "vitest";
import { freePort } from "../src/db/free-port.ts";
import { asConnectError, errorEnvelope } from "../src/pipeline/errors.ts";
import { isDatabaseUnavailable } from "../src/pipeline/errors-unavailable.ts";
import { ANONYMOUS_PER_MINUTE } from "../src/pipeline/plans.ts";
import { requestInfoKey } from "../src/pipeline/principal.ts";
import { authAndRateLimitInterceptor } from "../src/pipeline/rate-limit.ts";
import { RateLimiter } from "../src/pipeline/rate-limiter.ts";
import { writeWhileReachable } from "../src/webhooks/dispatch-attempt.ts";

/** What a slonik pool throws when nothing listens on its port (a database that is down). */
async function refusal(): Promise<unknown> {
  try {
    const pool = await createPool(`postgres://postgres@127.0.0.1:${await freePort()}/none`, { connectionTimeout: 2_000 });
    await pool.query(sql.unsafe`SELECT 1`).finally(() => pool.end());
  } catch (e) {
    return e;
  }
  throw new Error("the query on a closed port succeeded");
}

describe("a database that cannot be reached", () => {
  it("answers 503 unavailable with a retry hint when the connection is refused", async () => {
    const e = await refusal();
    expect(isDatabaseUnavailable(e)).toBe(true);
    const err = asConnectError(e);
    expect(err.code).toBe(Code.Unavailable);
    const { status, body } = errorEnvelope(err);
    expect(status).toBe(503);
    expect(body.error.code).toBe("unavailable");
    expect(JSON.stringify(body.error.details)).toContain("RetryInfo");
  });

  it("answers 503 unavailable when the server ends the connection under a query", async () => {
    const pool = await createPool(inject("databaseUrl"));
    const owner = new pg.Client({ connectionString: inject("databaseUrl") });
    await owner.connect();
    try {
      const running = pool.query(sql.unsafe`SELECT pg_sleep(10), 'chaos-cut-me'`).then(
        () => new Error("the query was not cut"),
        (e: unknown) => e,
      );
      // The backend running it, once it runs; then cut it as a restart would.
      for (let i = 0; i < 100; i++) {
        const { rowCount } = await owner.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%chaos-cut-me%' AND pid <> pg_backend_pid()",
        );
        if (rowCount) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const e = await running;
      expect(isDatabaseUnavailable(e)).toBe(true);
      expect(errorEnvelope(asConnectError(e)).status).toBe(503);
    } finally {
      await owner.end();
      await pool.end();
    }
  });

  it("still answers 500 internal for a failure that is not the database's absence", async () => {
    const pool = await createPool(inject("databaseUrl"));
    try {
      const e = await pool.query(sql.unsafe`SELECT 1 / 0`).catch((x: unknown) => x);
      expect(isDatabaseUnavailable(e)).toBe(false);
      expect(errorEnvelope(asConnectError(e)).status).toBe(500);
      expect(errorEnvelope(asConnectError(new Error("boom"))).body.error.code).toBe("internal");
    } finally {
      await pool.end();
    }
  });
});

describe("authentication while the database is away", () => {
  /** The answers of `times` calls from one address whose key lookup throws `failure`. */
  async function answers(failure: unknown, times: number): Promise<string[]> {
    const limiter = new RateLimiter(undefined, pino({ level: "silent" }), { storeFailure() {} });
    const call = authAndRateLimitInterceptor(limiter, async () => {
      throw failure;
    })(async () => {
      throw new Error("the handler ran without a principal");
    });
    const out: string[] = [];
    for (let i = 0; i < times; i++) {
      const contextValues = createContextValues().set(requestInfoKey, { requestId: `r${i}`, clientIp: "198.51.100.7" });
      const req = { header: new Headers({ authorization: "Bearer lr_live_x" }), contextValues } as unknown as UnaryRequest;
      const e = await call(req).then(
        () => undefined,
        (x: unknown) => x,
      );
      out.push(errorEnvelope(asConnectError(e)).body.error.code as string);
    }
    return out;
  }

  it("answers unavailable every time, not rate_limited: a failed lookup is not a guessed key", async () => {
    const codes = await answers(await refusal(), ANONYMOUS_PER_MINUTE + 10);
    expect(new Set(codes)).toEqual(new Set(["unavailable"]));
  });

  it("still slows down an address that keeps presenting bad keys", async () => {
    const codes = await answers(new ConnectError("invalid API key", Code.Unauthenticated), ANONYMOUS_PER_MINUTE + 10);
    expect(codes.slice(0, ANONYMOUS_PER_MINUTE).every((c) => c === "unauthenticated")).toBe(true);
    expect(codes.at(-1)).toBe("rate_limited");
  });
});

describe("writing a webhook attempt's outcome while the database is away", () => {
  const never = new AbortController().signal;

  it("writes it again until the database answers", async () => {
    const e = await refusal();
    let tries = 0;
    const written = await writeWhileReachable(
      async () => {
        tries++;
        if (tries < 3) throw e;
        return "recorded";
      },
      Date.now() + 10_000,
      never,
    );
    expect(written).toBe("recorded");
    expect(tries).toBe(3);
  });

  it("gives up at the lease's end, and at once on any other failure", async () => {
    const e = await refusal();
    let tries = 0;
    const start = Date.now();
    await expect(
      writeWhileReachable(
        async () => {
          tries++;
          throw e;
        },
        Date.now() + 1_200,
        never,
      ),
    ).rejects.toBe(e);
    expect(Date.now() - start).toBeLessThan(2_000);
    expect(tries).toBeGreaterThanOrEqual(2);
    const other = new Error("constraint violated");
    tries = 0;
    await expect(
      writeWhileReachable(
        async () => {
          tries++;
          throw other;
        },
        Date.now() + 10_000,
        never,
      ),
    ).rejects.toBe(other);
    expect(tries).toBe(1);
  });
});
