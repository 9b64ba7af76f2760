/**
 * `common`: the NCSA Common Log Format.
 *
 *   %h %l %u %t "%r" %>s %b
 *   127.0.0.1 bob frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326
 *
 * Anything after the byte count is ignored, so a combined line also parses as common (without referrer and
 * user agent); detection prefers `combined` when both accept a file.
 */
import { ClfParser } from "./clf.ts";
import type { LineParser } from "./parser.ts";

export function createCommonParser(): LineParser {
  return new ClfParser("common");
}
