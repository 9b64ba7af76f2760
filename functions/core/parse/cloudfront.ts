/**
 * `cloudfront`: CloudFront standard logs, a W3C extended log with CloudFront's columns (`x-edge-*`), with or
 * without the `#Fields` header. The W3C reader is in w3c.ts.
 */
import type { LineParser } from "./parser.ts";
import { W3cParser } from "./w3c.ts";

export function createCloudFrontParser(): LineParser {
  return new W3cParser("cloudfront");
}
