import type { LogFormat } from "../types.ts";
import { createAlbParser, createElbParser } from "./alb.ts";
import { createCloudFrontParser } from "./cloudfront.ts";
import { createCombinedParser } from "./combined.ts";
import { createCommonParser } from "./common.ts";
import type { FormatChoice } from "./custom/index.ts";
import { createHaproxyParser } from "./haproxy.ts";
import { createCaddyParser, createJsonLinesParser, createTraefikJsonParser } from "./jsonl.ts";
import type { LineParser } from "./parser.ts";
import { createS3Parser } from "./s3.ts";
import { createSquidParser } from "./squid.ts";
import { createTraefikParser } from "./traefik.ts";
import { createVhostCombinedParser } from "./vhost-combined.ts";
import { createW3cParser } from "./w3c.ts";

const FACTORIES: Readonly<Record<LogFormat, () => LineParser>> = {
  combined: createCombinedParser,
  common: createCommonParser,
  "vhost-combined": createVhostCombinedParser,
  cloudfront: createCloudFrontParser,
  w3c: createW3cParser,
  alb: createAlbParser,
  elb: createElbParser,
  s3: createS3Parser,
  haproxy: createHaproxyParser,
  caddy: createCaddyParser,
  traefik: createTraefikParser,
  "traefik-json": createTraefikJsonParser,
  squid: createSquidParser,
  jsonl: createJsonLinesParser,
};

/**
 * A fresh parser for one input in the given format: a built-in name, or a format compiled from the operator's
 * nginx/Apache/GoAccess line. Parsers keep per-input state: make one per input.
 */
export function createParser(format: FormatChoice): LineParser {
  return typeof format === "string" ? FACTORIES[format]() : format.createParser();
}
