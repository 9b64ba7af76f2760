import { configDefaults, defineConfig } from "vitest/config";

/**
 * Two projects, one suite: `npm test` runs both, `npm run test:unit` only the first.
 * - unit: test/unit, test/property and the packages' own tests: code in this process, no child processes, no
 *   servers, browsers, DuckDB or `logsieve` runs; the fast loop while changing code (under a minute on two cores,
 *   measured in docs/TESTING.md).
 * - integration: everything else: the queries on real lakes, DuckDB in process (test/engines), the CLI and the
 *   repository's checkers as processes (test/tools), `logsieve serve` with Chromium, GoAccess, the infrastructure,
 *   the reliability suite, and the Parquet writer read back by its three readers.
 * docs/TESTING.md lists the slowest files and why.
 */
const UNIT = ["test/unit/**/*.test.ts", "test/property/**/*.test.ts", "packages/*/test/**/*.test.ts"];
/** In a package's test folder, but loads DuckDB and the arrow-rs WebAssembly reader: integration. */
const PACKAGE_INTEGRATION = ["packages/parquet-writer/test/three-readers.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: UNIT,
          exclude: [...configDefaults.exclude, ...PACKAGE_INTEGRATION],
          // One process per worker for many files, instead of a new process per file: starting Node and loading
          // the AWS SDK, hyparquet and the rest again for each of ~100 files cost half the project's CPU time.
          // What isolation gave is kept where it matters: test/helpers/fresh-modules.ts evaluates the project's
          // own modules afresh for every file (no module state crosses files), Vitest restores spies after each
          // file, environment variables and globals stubbed with vi.stubEnv / vi.stubGlobal are restored after
          // each test, and the files that mock an AWS client restore it in afterAll.
          isolate: false,
          setupFiles: ["test/helpers/fresh-modules.ts"],
          unstubEnvs: true,
          unstubGlobals: true,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts", ...PACKAGE_INTEGRATION],
          exclude: [...configDefaults.exclude, "test/unit/**", "test/property/**"],
        },
      },
    ],
  },
});
