/**
 * A second server as its own operating-system process (`lead-router serve`
 * on the test database), for tests that must show a rule holds across
 * processes, not only across connections of one process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { inject } from "vitest";
import { type CallOptions, type RestResponse, testEventStream } from "./server.ts";

const ROOT = resolve(import.meta.dirname, "../..");

/** A running child server. */
export interface ChildServer {
  url: string;
  call<T = any>(method: string, path: string, opts?: CallOptions): Promise<RestResponse<T>>;
  /** Sends SIGTERM and resolves with the exit code once the process has exited (null: it died of a signal). */
  close(): Promise<number | null>;
  /** What the process printed so far (its logs), for failure messages. */
  output(): string;
  /** Kills the process with SIGKILL: no drain, no cleanup, as a crash would. */
  crash(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", ok));
  const { port } = probe.address() as { port: number };
  await new Promise((ok) => probe.close(ok));
  return port;
}

/** Starts `src/cli.ts serve` (or `command`, e.g. worker) on a free port (with `extraEnv`) and waits until it is ready. */
export async function startChildServer(extraEnv: Record<string, string> = {}, command = "serve"): Promise<ChildServer> {
  const port = await freePort();
  const stream = testEventStream(inject("databaseUrl"));
  const env = {
    ...process.env,
    DATABASE_URL: inject("databaseUrl"),
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    // Buyers' endpoints in tests are local stubs.
    DESTINATIONS_ALLOW_PRIVATE: "true",
    NATS_STREAM: stream.natsStream,
    NATS_SUBJECT_PREFIX: stream.natsSubjectPrefix,
    ...extraEnv,
  };
  const proc: ChildProcess = spawn(join(ROOT, "node_modules/.bin/node"), ["src/cli.ts", command], { cwd: ROOT, env, stdio: "pipe" });
  let output = "";
  proc.stdout?.on("data", (d) => {
    output += String(d);
  });
  proc.stderr?.on("data", (d) => {
    output += String(d);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`child server exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`child server not ready:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return {
    url,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.key) headers.authorization = `Bearer ${opts.key}`;
      const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      if (body !== undefined) headers["content-type"] ??= "application/json";
      const res = await fetch(`${url}${path}`, { method, headers, body }).catch((e: unknown) => {
        // A child that stopped answering: say whether it exited and what it printed.
        const state = proc.exitCode !== null || proc.signalCode !== null ? `exited (${proc.exitCode ?? proc.signalCode})` : "running";
        throw new Error(`child server ${url} (${state}) did not answer ${method} ${path}:\n${output}`, { cause: e });
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
    },
    close: () =>
      new Promise<number | null>((ok) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return ok(proc.exitCode);
        proc.once("exit", (code) => ok(code));
        proc.kill("SIGTERM");
      }),
    output: () => output,
    crash: () =>
      new Promise<void>((ok) => {
        proc.once("exit", () => ok());
        proc.kill("SIGKILL");
      }),
  };
}
