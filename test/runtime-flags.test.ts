/**
 * Every way of starting Lead Router runs it on src/runtime-flags.ts's V8
 * flags (a young generation of fixed size, so RSS follows what a process
 * holds: docs/reliability.md), and this Node honours them.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { RUNTIME_FLAGS } from "../src/runtime-flags.ts";

const ROOT = resolve(import.meta.dirname, "..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const flags = RUNTIME_FLAGS.join(" ");

describe("runtime flags", () => {
  it("npm start, the CLI's shebang and the image's entrypoint carry them", () => {
    const scripts = JSON.parse(read("package.json")).scripts as Record<string, string>;
    expect(scripts.start).toBe(`node ${flags} src/cli.ts serve`);
    expect(read("src/cli.ts").split("\n")[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(read("Dockerfile"))?.[1];
    expect(JSON.parse(entrypoint ?? "null")).toEqual(["node", ...RUNTIME_FLAGS, "src/cli.ts"]);
  });

  it("pin the young generation: two 16 MiB semi-spaces from the first scavenge on, and no more under allocation", () => {
    // Allocates short-lived objects that survive a scavenge or two, which makes V8 grow a young generation it may grow.
    const probe = `
      const v8 = require("node:v8");
      const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
      const start = size();
      let keep = [], max = start;
      for (let i = 0; i < 3e6; i++) { keep.push({ i }); if (keep.length > 200000) keep = []; if (i % 1e5 === 0) max = Math.max(max, size()); }
      console.log(JSON.stringify({ start, max }));`;
    const pinned = spawnSync(process.execPath, [...RUNTIME_FLAGS, "-e", probe], { encoding: "utf8" });
    expect(pinned.stderr).toBe("");
    // The new space reports one semi-space at start, both once the first scavenge has used them.
    expect(JSON.parse(pinned.stdout)).toEqual({ start: 16 * 1024 * 1024, max: 32 * 1024 * 1024 });
  });
});
