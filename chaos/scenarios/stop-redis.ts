/**
 * Scenario 5: kill Redis under load, then start it again (empty: it keeps
 * nothing on disk). While it is down ingestion continues (the limiter falls
 * back to per-process counting) and management calls answer 503
 * `unavailable`; once it is back, management answers again and the limits
 * hold again (a key past its management limit gets 429).
 */
import { call } from "../api.ts";
import { startLoad } from "../load.ts";
import { conclude, redelivered, sleep } from "../phase.ts";
import { waitFor } from "../proc.ts";
import type { Scenario } from "../scenario.ts";

const INGESTION = new Set(["submit", "inbox", "ping", "post"]);

export const scenario: Scenario = {
  id: "5",
  title: "stop Redis under load",
  async run(ctx) {
    const { cluster: c, world: w } = ctx;
    const rate = ctx.rate;
    const seconds = ctx.short ? 20 : 60;
    const downSeconds = ctx.short ? 6 : 20;
    const duplicatesBefore = redelivered(c.receiver);
    const api = c.apis[0].url;
    const load = startLoad(w, { rate, apis: c.apis.map((a) => a.url) });
    await sleep(seconds * 300);
    const killedAt = load.now();
    await c.redis.kill9();
    ctx.log(`scenario 5: Redis killed at ${Math.round(killedAt)} ms`);
    await sleep(1_000);
    const probes = [];
    for (let i = 0; i < 5; i++) probes.push(await call(api, "GET", "/api/v1/buyers?pageSize=1", w.adminKey));
    await sleep(downSeconds * 1000 - 1_000);
    const startAt = load.now();
    await c.redis.start();
    const upAt = load.now();
    ctx.log(`scenario 5: Redis started at ${Math.round(upAt)} ms`);
    const back = await waitFor(async () => (await call(api, "GET", "/api/v1/buyers?pageSize=1", w.adminKey)).status === 200, 30_000, 100);
    const recovery = (load.now() - upAt) / 1000;
    await sleep(Math.max(0, seconds * 1000 - load.now()));
    const records = await load.stop();
    // Past the limit: a key allowed managementPerMinute calls a minute gets 429 once it has made them.
    const limited: number[] = [];
    for (let i = 0; i < w.managementPerMinute + 5; i++)
      limited.push((await call(api, "GET", "/api/v1/buyers?pageSize=1", w.limitedKey)).status);
    const whileDown = records.filter((r) => r.at > killedAt + 500 && r.at + r.ms < startAt);
    const ingestionFailed = whileDown.filter((r) => INGESTION.has(r.op) && r.status !== 200);
    const managementNot503 = [...whileDown.filter((r) => r.op === "config"), ...probes].filter(
      (r) => r.status !== 503 || ((r as { code?: string }).code !== undefined && (r as { code?: string }).code !== "unavailable"),
    );
    const probeCodes = probes.map((p) => `${p.status} ${p.body?.error?.code ?? ""}`.trim());
    return conclude(ctx, {
      id: "5",
      title: this.title,
      load: `${rate} ops/s for ${Math.round(load.now() / 1000)} s over 2 API processes`,
      faults: `kill -9 redis-server at ${Math.round(killedAt / 1000)} s, down ${downSeconds} s, started again (empty)`,
      records,
      recoverySeconds: Math.round(recovery * 10) / 10,
      duplicatesBefore,
      checks: [
        { name: "ingestion answered 2xx while Redis was down", offending: ingestionFailed.slice(0, 20) },
        {
          name: "management calls answered 503 unavailable while Redis was down",
          offending: probes.some((p) => p.status !== 503 || p.body?.error?.code !== "unavailable")
            ? probeCodes
            : managementNot503.slice(0, 20),
        },
        { name: "management answered 2xx again once Redis was back", offending: back ? [] : ["still failing after 30 s"] },
        {
          name: `the management limit holds again (${w.managementPerMinute}/min key gets 429)`,
          offending: limited.includes(429) ? [] : [limited.join(",")],
        },
      ],
      figures: {
        whileDown: whileDown.length,
        ingestionWhileDown: whileDown.filter((r) => INGESTION.has(r.op) && r.status === 200).length,
        managementProbes: probeCodes.join(","),
        limitedStatuses: [...new Set(limited)].join(","),
      },
    });
  },
};
