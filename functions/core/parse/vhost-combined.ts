/**
 * `vhost-combined`: Apache's `vhost_combined`, the virtual host in front of a combined line.
 *
 *   %v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"
 *   www.example.com:443 192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 512 "-" "curl/8.0"
 *
 * Also the `%v %h …` variant without port, and the vhost *common* variant (the line ends after the byte count:
 * referrer and user agent are null), since there is no separate format for it. The virtual host becomes
 * `host`, lower-cased, without port.
 */
import { ClfParser } from "./clf.ts";
import type { LineParser } from "./parser.ts";

export function createVhostCombinedParser(): LineParser {
  return new ClfParser("vhost-combined");
}
