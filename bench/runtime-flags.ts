/**
 * The runtime flags' benchmark (BENCH_ONLY=flags): two servers, one on Lead
 * Router's V8 flags (src/runtime-flags.ts) and one on V8's defaults, each
 * with the routing benchmark's world, take direct-post submissions in turns,
 * so a drift of the shared machine hits both alike. Compares throughput,
 * latency and CPU a lead, then each server's RSS and young generation.
 */
import type { Row } from "./core.ts";
import { machineMsPer, machineTicks } from "./cpu.ts";
import type { Result } from "./load.ts";
import { startStub, submitLeads } from "./routing.ts";
import { routingWorld } from "./routing-world.ts";
import { type BenchServer, startBenchServer } from "./server.ts";

/** A gauge from the server's /metrics, in MiB. */
async function metricMiB(s: BenchServer, line: RegExp): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  return Math.round(Number(line.exec(text)?.[1] ?? Number.NaN) / 1048576);
}

interface Side {
  name: string;
  server: BenchServer;
  results: Result[];
  busyMs: number;
  leads: number;
  peakRss: number;
}

export async function benchRuntimeFlags(concurrency: number, seconds: number, rounds = 5): Promise<{ rows: Row[]; notes: string[] }> {
  const stub = await startStub();
  const sides: Side[] = [];
  try {
    for (const [name, flags] of [
      ["Lead Router's flags", undefined],
      ["V8's defaults", []],
    ] as const) {
      sides.push({ name, server: await startBenchServer({}, flags), results: [], busyMs: 0, leads: 0, peakRss: 0 });
    }
    const worlds = await Promise.all(sides.map((s) => routingWorld(s.server, stub.url)));
    const slice = Math.max(1, Math.round(seconds / rounds));
    for (const [i, s] of sides.entries()) await submitLeads(s.server, worlds[i], concurrency, slice); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const [i, s] of sides.entries()) {
        const before = machineTicks();
        const result = await submitLeads(s.server, worlds[i], concurrency, slice);
        const after = machineTicks();
        s.results.push(result);
        s.leads += Math.round(result.rps * slice);
        s.busyMs += machineMsPer(before, after, 1) ?? 0;
        s.peakRss = Math.max(s.peakRss, await metricMiB(s.server, /^process_resident_memory_bytes (\S+)/m));
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const rows = sides.map((s) => ({
      name: `SubmitLead REST, ${worlds[0].contracts} contracts, concurrency ${concurrency}, ${s.name}`,
      result: {
        p50: Math.round(mean(s.results.map((x) => x.p50)) * 10) / 10,
        p99: Math.round(mean(s.results.map((x) => x.p99)) * 10) / 10,
        rps: s.leads / (slice * rounds),
        errors: s.results.reduce((a, x) => a + x.errors, 0),
      },
    }));
    const young = await Promise.all(sides.map((s) => metricMiB(s.server, /^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)/m)));
    const notes = [
      `${rounds} turns of ${slice} s each, in alternation; p50 and p99 are the turns' means`,
      `throughput, flags / defaults: ${(rows[0].result.rps / rows[1].result.rps).toFixed(2)}; machine CPU a lead ${(sides[0].busyMs / sides[0].leads).toFixed(1)} / ${(sides[1].busyMs / sides[1].leads).toFixed(1)} ms`,
      `peak RSS between turns: ${sides[0].peakRss} / ${sides[1].peakRss} MiB; young generation at the end: ${young[0]} / ${young[1]} MiB`,
    ];
    return { rows, notes };
  } finally {
    await Promise.all(sides.map((s) => s.server.stop()));
    await stub.close();
  }
}
