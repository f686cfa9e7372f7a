/**
 * A nats-server of the test's own (JetStream, a free port, a temporary
 * store), never the machine's: tests may stop and restart it, and its
 * streams hold only what the test published.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, nanos } from "@nats-io/transport-node";
import { freePort } from "../../src/db/free-port.ts";

/** A running test nats-server. */
export interface TestNats {
  url: string;
  storeDir: string;
  /** A new connection, retried until the server answers (10 s). */
  connect(): Promise<NatsConnection>;
  /** Kills the server (SIGKILL, as a crash would) and waits until it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store, and waits until it answers. */
  restart(): Promise<void>;
  /** Kills it and deletes its store. */
  close(): Promise<void>;
}

/** Starts nats-server with JetStream on a free port and its own store; resolves once it answers. */
export async function startNats(): Promise<TestNats> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "lr-test-nats-"));
  const url = `nats://127.0.0.1:${port}`;
  const spawnServer = () =>
    spawn("/usr/sbin/nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir], { stdio: "ignore" });
  let proc: ChildProcess = spawnServer();
  const connectRetrying = async (): Promise<NatsConnection> => {
    for (let i = 0; ; i++) {
      try {
        return await connect({ servers: url });
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const kill = () =>
    new Promise<void>((ok) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return ok();
      proc.once("exit", () => ok());
      proc.kill("SIGKILL");
    });
  await (await connectRetrying()).close();
  return {
    url,
    storeDir,
    connect: connectRetrying,
    kill,
    async restart() {
      await kill();
      proc = spawnServer();
      await (await connectRetrying()).close();
    },
    async close() {
      await kill();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** Every message id (Nats-Msg-Id) a stream holds on `subject`, in stream order, duplicates kept; read with an ephemeral consumer. */
export async function streamMessageIds(nc: NatsConnection, stream: string, subject: string): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.consumers.add(stream, { filter_subject: subject, ack_policy: AckPolicy.None, inactive_threshold: nanos(30_000) });
  const total = info.num_pending;
  const ids: string[] = [];
  if (total === 0) return ids;
  const consumer = await jetstream(nc).consumers.get(stream, info.name);
  while (ids.length < total) {
    const batch = await consumer.fetch({ max_messages: total - ids.length, expires: 2_000 });
    for await (const m of batch) ids.push(m.headers?.get("Nats-Msg-Id") ?? "");
  }
  return ids;
}
