/**
 * The V8 flags every Lead Router process runs with: package.json's `start`,
 * the Dockerfile's entrypoint, src/cli.ts's shebang, the fault harness and
 * the benchmarks (test/runtime-flags.test.ts holds them to this list).
 *
 * They pin the young generation at two 16 MiB semi-spaces. Left to itself,
 * V8 sizes it from its heap limit, which it takes from the machine's memory:
 * on a 24 GiB machine it grows under load up to 128 MiB and shrinks again
 * when the process idles, so a process's RSS moved by up to 115 MiB with its
 * recent load rather than with what it holds (docs/reliability.md, the
 * soak). Throughput and CPU a lead are the same either way
 * (bench/runtime-flags.ts).
 */
export const RUNTIME_FLAGS = ["--max-semi-space-size=16", "--min-semi-space-size=16"] as const;
