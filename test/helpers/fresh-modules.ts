import { vi } from "vitest";

/**
 * Setup file of the `unit` project, run before each test file. The project shares one process among many files
 * (`isolate: false`, see vitest.config.ts): Node's own module cache (node_modules, loaded natively) is kept, which
 * is where the start-up time went, but the project's modules are evaluated afresh for every file, so state a module
 * keeps (a Lambda handler's cached runtime, a memo, a counter) never reaches the next file.
 */
vi.resetModules();
