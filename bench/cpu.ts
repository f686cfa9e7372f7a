/**
 * Where the machine's CPU goes during a benchmark level, from Linux's /proc:
 * the server process, the Postgres processes (when Postgres runs on this
 * machine), everything else, and idle. Latency and throughput drift with a
 * shared machine's speed; CPU per lead says what a lead costs. Null where
 * /proc is not there.
 */
import { readdirSync, readFileSync } from "node:fs";

/** The whole machine's cumulative busy and total CPU ticks. */
export interface MachineTicks {
  busy: number;
  total: number;
}

/** Cumulative CPU ticks at one instant: the machine's, the server's and each Postgres process's. */
export interface CpuSample extends MachineTicks {
  server: number;
  /** Each Postgres process's ticks, by pid: a backend that exits between two samples takes its ticks with it. */
  postgres: Map<string, number>;
}

const TICKS_PER_SECOND = 100;

function processTicks(pid: string): number {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

/** The whole machine's cumulative busy and total CPU ticks (/proc/stat); null without /proc. */
export function machineTicks(): MachineTicks | null {
  let cpu: number[];
  try {
    cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return null;
  }
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3] - cpu[4], total };
}

/** Samples the server (by pid) and every Postgres process; null without /proc. */
export function sampleCpu(serverPid: number): CpuSample | null {
  const machine = machineTicks();
  if (!machine) return null;
  const postgres = new Map<string, number>();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("postgres")) postgres.set(pid, processTicks(pid));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return { server: processTicks(String(serverPid)), postgres, ...machine };
}

/** The whole machine's busy CPU between two samples, in ms per unit of work; null without /proc. */
export function machineMsPer(a: MachineTicks | null, b: MachineTicks | null, units: number): number | null {
  if (!a || !b || units === 0) return null;
  return ((b.busy - a.busy) * 1000) / TICKS_PER_SECOND / units;
}

/** The share of the machine's CPU that was busy between two samples, in percent. */
export function busyPercent(a: MachineTicks, b: MachineTicks): number {
  return Math.round((100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total));
}

/** "server x ms, Postgres y ms, machine z ms a lead (n % busy)" between two samples, for `leads` leads. */
export function cpuPerLead(a: CpuSample | null, b: CpuSample | null, leads: number): string {
  if (!a || !b || leads === 0) return "CPU a lead: not measured (no /proc)";
  const ms = (ticks: number) => ((ticks * 1000) / TICKS_PER_SECOND / leads).toFixed(1);
  const busy = busyPercent(a, b);
  // What each process still running spent since the first sample (a process started since, all of it).
  let ticks = 0;
  for (const [pid, t] of b.postgres) ticks += t - (a.postgres.get(pid) ?? 0);
  const postgres = b.postgres.size > 0 ? `${ms(ticks)} ms` : "not on this machine";
  return `CPU a lead: server ${ms(b.server - a.server)} ms, Postgres ${postgres}, whole machine ${ms(b.busy - a.busy)} ms (${busy} % busy)`;
}
