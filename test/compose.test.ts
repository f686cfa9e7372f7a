/**
 * docker-compose.yml and the Dockerfile, checked without Docker (the
 * machine has no compose): the services of the production shape exist,
 * they run the CLI's own commands, API nodes leave the workers to the
 * worker service, and every environment variable they set is one the
 * configuration reads.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../src/config.ts";
import { parseSecretsKey } from "../src/delivery/secrets.ts";

const ROOT = resolve(import.meta.dirname, "..");
const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"), { merge: true });
const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const services = compose.services as Record<string, any>;

/** Compose's interpolation of `${NAME:-default}` and `${NAME:?message}` with the shell's `given` values. */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, rest: string) => {
    if (given[name]) return given[name];
    if (op === "-") return rest;
    throw new Error(`${name} is required: ${rest}`);
  });
}

/** The names loadConfig reads from the environment. */
function namesConfigReads(): Set<string> {
  const read = new Set<string>();
  const saved = process.env;
  process.env = new Proxy({} as NodeJS.ProcessEnv, {
    get: (_, name) => {
      if (typeof name === "string") read.add(name);
      return undefined;
    },
  });
  try {
    loadConfig();
  } finally {
    process.env = saved;
  }
  return read;
}

/** The commands `lead-router` knows, from its usage line. */
function cliCommands(): string[] {
  const run = spawnSync(join(ROOT, "node_modules/.bin/node"), ["src/cli.ts", "no-such-command"], { cwd: ROOT, encoding: "utf8" });
  const usage = /usage: lead-router (\S+)/.exec(run.stderr);
  if (!usage) throw new Error(`no usage line: ${run.stderr}`);
  return usage[1].split("|");
}

describe("docker-compose.yml", () => {
  it("runs PostgreSQL, Redis, NATS with JetStream on a volume, API nodes and workers, each with a healthcheck", () => {
    expect(Object.keys(services).sort()).toEqual(["api", "nats", "postgres", "redis", "worker"]);
    for (const [name, service] of Object.entries(services)) expect(service.healthcheck?.test, name).toBeDefined();
    expect(services.nats.command).toContain("-js");
    const store = services.nats.command[services.nats.command.indexOf("-sd") + 1];
    expect(services.nats.volumes.map((v: string) => v.split(":")[1])).toContain(store);
    expect(Object.keys(compose.volumes)).toContain(services.nats.volumes[0].split(":")[0]);
  });

  it("runs `serve` with WORKERS=off as api and `worker` as worker, both from the image whose entry point is the CLI", () => {
    expect(dockerfile).toMatch(/^FROM node:24-slim$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", (".+", )*"src\/cli.ts"\]$/m);
    // The production install: nothing the CLI imports at run time may be a dev dependency.
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const commands = cliCommands();
    expect(services.api.command).toEqual(["serve"]);
    expect(services.worker.command).toEqual(["worker"]);
    for (const s of [services.api, services.worker]) {
      expect(commands).toContain(s.command[0]);
      expect(s.build).toBe(".");
    }
    expect(services.api.environment.WORKERS).toBe("off");
    expect(services.worker.environment.WORKERS).toBeUndefined();
  });

  it("lets api scale: no fixed host port, a range instead", () => {
    for (const port of services.api.ports) expect(String(port)).toMatch(/^\d+-\d+:8080$/);
    expect(services.worker.ports).toBeUndefined();
  });

  it("starts the app after its stores are healthy, and checks each app process on its own PORT", () => {
    for (const name of ["api", "worker"]) {
      const s = services[name];
      expect(s.depends_on, name).toEqual({
        postgres: { condition: "service_healthy" },
        nats: { condition: "service_healthy" },
        redis: { condition: "service_healthy" },
      });
      expect(s.healthcheck.test.join(" "), name).toContain(`127.0.0.1:${s.environment.PORT}/readyz`);
    }
  });

  it("sets only variables the configuration reads, wired to the services it runs", () => {
    const reads = namesConfigReads();
    const given = { LEAD_ROUTER_SUPERADMIN_KEY: "sa_compose", SECRETS_KEY: "ab".repeat(32) };
    for (const name of ["api", "worker"]) {
      const env = services[name].environment as Record<string, string>;
      for (const key of Object.keys(env)) expect(reads, `${name} sets ${key}`).toContain(key);
      for (const key of ["DATABASE_URL", "REDIS_URL", "NATS_URL", "LEAD_ROUTER_SUPERADMIN_KEY", "SECRETS_KEY"])
        expect(Object.keys(env), name).toContain(key);
      expect(new URL(interpolate(env.DATABASE_URL, given)).host).toBe("postgres:5432");
      expect(new URL(interpolate(env.NATS_URL, given)).host).toBe("nats:4222");
      expect(new URL(interpolate(env.REDIS_URL, given)).host).toBe("redis:6379");
    }
  });

  it("refuses to start without the two secrets rather than run on a default one", () => {
    const env = services.api.environment as Record<string, string>;
    expect(() => interpolate(env.SECRETS_KEY, {})).toThrow("SECRETS_KEY is required");
    expect(() => interpolate(env.LEAD_ROUTER_SUPERADMIN_KEY, {})).toThrow("LEAD_ROUTER_SUPERADMIN_KEY is required");
    // The key its message suggests is one the server accepts.
    expect(parseSecretsKey("ab".repeat(32))).toHaveLength(32);
  });
});
