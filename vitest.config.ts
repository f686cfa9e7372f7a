import { defineConfig } from "vitest/config";

const shared = {
  globalSetup: ["test/support/global-setup.ts"],
  testTimeout: 30_000,
  hookTimeout: 120_000,
  pool: "forks" as const,
};

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        test: {
          ...shared,
          name: "main",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["test/chaos.test.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The fault harness kills and restarts its own services and loads both cores: it runs alone, after
        // the rest, so no other file's timing assertions share the machine with it.
        test: { ...shared, globalSetup: [], name: "faults", include: ["test/chaos.test.ts"], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
