/**
 * Scenario 8: the soak. CHAOS_SOAK_SECONDS (default 1800; the short form
 * 120) of load at CHAOS_SOAK_RATE operations a second (default 100). Passes
 * when, after the warm-up (the first fifth), each Lead Router process's RSS
 * grows by less than 10 %, p99 at the end is within 1.5x of p99 at the start,
 * the outbox drains, and the application's connections never reach the
 * pools' size. Beside RSS it samples each process's V8 heap in use (its
 * /metrics), which tells a leak (the heap grows) from the allocator keeping
 * pages it freed (RSS grows, the heap does not). It also reports the
 * machine's CPU a request over the soak, which says what rate the
 * machine could carry.
 */
import { availableParallelism } from "node:os";
import { busyPercent, machineMsPer, machineTicks } from "../../bench/cpu.ts";
import { startLoad } from "../load.ts";
import { conclude, quantile, redelivered, sleep } from "../phase.ts";
import type { Scenario } from "../scenario.ts";

/** Connections each process's pool may open (DATABASE_POOL_SIZE of the cluster). */
const POOL_SIZE = 10;
const SAMPLE_MS = 5_000;

interface Sample {
  at: number;
  rss: number[];
  heap: number[];
  connections: number;
}

/** The process's V8 heap in use, in KiB (prom-client's default metrics), or NaN when /metrics does not answer. */
async function heapKiB(url: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

export const scenario: Scenario = {
  id: "8",
  title: "soak",
  async run(ctx) {
    const { cluster: c, world: w } = ctx;
    const seconds = Number(process.env.CHAOS_SOAK_SECONDS ?? (ctx.short ? 120 : 1800));
    const rate = Number(process.env.CHAOS_SOAK_RATE ?? 100);
    const apps = [...c.apis, c.worker];
    const duplicatesBefore = redelivered(c.receiver);
    const load = startLoad(w, { rate, apis: c.apis.map((a) => a.url), mix: { return: 2, config: 1 } });
    const samples: Sample[] = [];
    const cpuBefore = machineTicks();
    while (load.now() < seconds * 1000) {
      const { rows } = await ctx.db().query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'lead_router_app'");
      const heap = await Promise.all(apps.map((a) => heapKiB(a.url)));
      samples.push({ at: load.now(), rss: apps.map((a) => a.rssKiB()), heap, connections: rows[0].n });
      await sleep(Math.min(SAMPLE_MS, Math.max(0, seconds * 1000 - load.now())));
    }
    const cpuAfter = machineTicks();
    const records = await load.stop();
    const msPerRequest = machineMsPer(cpuBefore, cpuAfter, records.length);
    const warm = seconds * 200;
    const tenth = seconds * 100;
    const inWindow = (from: number, to: number) => samples.filter((s) => s.at >= from && s.at < to);
    const mean = (xs: number[]) => {
      const known = xs.filter((x) => Number.isFinite(x));
      return known.reduce((a, b) => a + b, 0) / Math.max(1, known.length);
    };
    const first = inWindow(warm, warm + tenth);
    const last = inWindow(seconds * 1000 - tenth, Number.POSITIVE_INFINITY);
    const growth = apps.map((a, i) => {
      const start = mean(first.map((s) => s.rss[i]));
      const end = mean(last.map((s) => s.rss[i]));
      const heapStart = mean(first.map((s) => s.heap[i]));
      const heapEnd = mean(last.map((s) => s.heap[i]));
      return {
        process: a.name,
        startMiB: Math.round(start / 1024),
        endMiB: Math.round(end / 1024),
        growth: start ? end / start - 1 : 0,
        heap: `${Math.round(heapStart / 1024)}→${Math.round(heapEnd / 1024)} MiB`,
      };
    });
    const okMs = (from: number, to: number) => records.filter((r) => r.status === 200 && r.at >= from && r.at < to).map((r) => r.ms);
    const p99Start = quantile(okMs(warm, warm + tenth), 0.99);
    const p99End = quantile(okMs(seconds * 1000 - tenth, Number.POSITIVE_INFINITY), 0.99);
    const maxConnections = Math.max(0, ...samples.map((s) => s.connections));
    const answered = records.filter((r) => r.status === 200).length;
    return conclude(ctx, {
      id: "8",
      title: `soak (${seconds} s)`,
      load: `${rate} ops/s for ${seconds} s over 2 API processes (${Math.round(answered / seconds)} answered 2xx/s)`,
      faults: "none",
      records,
      recoverySeconds: null,
      duplicatesBefore,
      checks: [
        { name: "RSS of each process grew by less than 10 % after the warm-up", offending: growth.filter((g) => g.growth >= 0.1) },
        { name: "p99 at the end within 1.5x of p99 at the start", offending: p99End <= 1.5 * p99Start ? [] : [{ p99Start, p99End }] },
        {
          name: `the pools were never exhausted (app connections < ${apps.length * POOL_SIZE})`,
          offending: maxConnections < apps.length * POOL_SIZE ? [] : [{ maxConnections }],
        },
      ],
      figures: {
        p99StartMs: p99Start,
        p99EndMs: p99End,
        maxConnections,
        rss: growth.map((g) => `${g.process} ${g.startMiB}→${g.endMiB} MiB (${(g.growth * 100).toFixed(1)} %)`).join("; "),
        heapInUse: growth.map((g) => `${g.process} ${g.heap}`).join("; "),
        machineCpu:
          msPerRequest === null || !cpuBefore || !cpuAfter
            ? "not measured (no /proc)"
            : `${busyPercent(cpuBefore, cpuAfter)} % busy, ${msPerRequest.toFixed(1)} ms of CPU a request: ${availableParallelism()} cores carry about ${Math.round((availableParallelism() * 1000) / msPerRequest)} requests/s`,
      },
    });
  },
};
