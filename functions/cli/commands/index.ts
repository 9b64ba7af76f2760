import type { Command } from "commander";

/** Every command module registers itself here; one import line per command file. */
export function registerCommands(_program: Command): void {}
