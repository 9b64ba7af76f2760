import { readFile } from "node:fs/promises";
import { ConfigError, type LogsieveConfig, parseConfig } from "../core/config.ts";

/** Reads and validates a configuration file (`--config`); errors name the file and each bad setting. */
export async function loadConfigFile(path: string | undefined): Promise<LogsieveConfig> {
  if (path === undefined) return parseConfig({});
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ConfigError(`cannot read the configuration file ${path}`, [`--config: ${path} cannot be read`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : "invalid JSON";
    throw new ConfigError(`the configuration file ${path} is not valid JSON: ${why}`, [`--config: ${why}`]);
  }
  return parseConfig(raw, `configuration file ${path}`);
}

/** The configuration given inline (tests, the demo) or in a file, or every default. */
export async function resolveConfig(options: {
  readonly config?: unknown;
  readonly configPath?: string | undefined;
}): Promise<LogsieveConfig> {
  return options.config !== undefined ? parseConfig(options.config) : loadConfigFile(options.configPath);
}
