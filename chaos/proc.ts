/**
 * Child processes of the harness: spawned with their own environment, their
 * output kept (the last 64 KiB, for failure messages), killed with SIGKILL as
 * a crash would, and every one of them killed when the harness exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** A child the harness started. */
export interface Child {
  proc: ChildProcess;
  pid: number;
  output(): string;
  alive(): boolean;
  /** Resolves once it has exited (at once when it already has). */
  exited(): Promise<void>;
  /** SIGKILL, and wait until it has exited. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after graceMs, and wait. */
  stop(graceMs?: number): Promise<void>;
}

/** Every live child's pid, so the exit hook can kill them all (by id). */
export type Registry = Set<number>;

/** Spawns command with args and env; its pid is registered until it exits. */
export function spawnChild(registry: Registry, command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Child {
  const proc = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  const pid = proc.pid ?? -1;
  registry.add(pid);
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + String(d)).slice(-65_536);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const done = new Promise<void>((ok) => proc.once("exit", () => ok()));
  void done.then(() => registry.delete(pid));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    pid,
    output: () => output,
    alive,
    exited: () => done,
    async kill9() {
      if (alive()) proc.kill("SIGKILL");
      await done;
    },
    async stop(graceMs = 10_000) {
      if (!alive()) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}

/** A process's resident set size in KiB (from /proc), or 0 when it is gone. */
export function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pids whose parent is pid (from /proc). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether a pid is still running (not a zombie). */
export function running(pid: number): boolean {
  try {
    return !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** Waits until check() is truthy or the deadline passes; returns whether it held. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Kills every registered pid (and extra()'s) at exit, and on SIGINT/SIGTERM/an
 * uncaught error, then runs cleanup (synchronous: removing the data); returns
 * the uninstaller.
 */
export function killOnExit(registry: Registry, extra: () => number[] = () => [], cleanup: () => void = () => {}): () => void {
  const killAll = () => {
    for (const pid of [...registry, ...extra()]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    try {
      cleanup();
    } catch {
      // best effort: the process is going
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    killAll();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  const onError = (e: unknown) => {
    console.error(e);
    killAll();
    process.exit(1);
  };
  process.on("exit", killAll);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("uncaughtException", onError);
  return () => {
    process.off("exit", killAll);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("uncaughtException", onError);
  };
}
