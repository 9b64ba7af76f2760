import type { LogFormat } from "../types.ts";
import { createAlbParser } from "./alb.ts";
import { createCloudFrontParser } from "./cloudfront.ts";
import { createCombinedParser } from "./combined.ts";
import { createCommonParser } from "./common.ts";
import { createJsonLinesParser } from "./jsonl.ts";
import type { LineParser } from "./parser.ts";
import { createVhostCombinedParser } from "./vhost-combined.ts";

const FACTORIES: Readonly<Record<LogFormat, () => LineParser>> = {
  combined: createCombinedParser,
  common: createCommonParser,
  "vhost-combined": createVhostCombinedParser,
  cloudfront: createCloudFrontParser,
  alb: createAlbParser,
  jsonl: createJsonLinesParser,
};

/** A fresh parser for one input in the given format (parsers keep per-input state: one per input). */
export function createParser(format: LogFormat): LineParser {
  return FACTORIES[format]();
}
