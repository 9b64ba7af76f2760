import { configDefaults, defineConfig } from "vitest/config";

/**
 * Two projects, one suite: `npm test` runs both, `npm run test:unit` only the first.
 * - unit: test/unit, test/property and the packages' own tests: code in this process (one test runs the import
 *   cycle check script), no servers, browsers or `logsieve` runs; the fast loop while changing code (under a
 *   minute on two cores).
 * - integration: everything else: the queries on real lakes, the CLI, `logsieve serve` with Chromium, GoAccess,
 *   the infrastructure, the reliability suite.
 * docs/TESTING.md lists the slowest files and why.
 */
const UNIT = ["test/unit/**/*.test.ts", "test/property/**/*.test.ts", "packages/*/test/**/*.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
    projects: [
      { extends: true, test: { name: "unit", include: UNIT } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...UNIT],
        },
      },
    ],
  },
});
