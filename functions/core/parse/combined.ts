/**
 * `combined`: Apache/nginx combined log format (the hot format).
 *
 *   %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"
 *   127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08"
 *
 * Also accepted: bare `-` instead of quoted referrer/user agent, a user agent missing its closing quote (the rest
 * of the line), and trailing fields (nginx `main` appends "$http_x_forwarded_for", read as forwardedFor when it
 * is a list of addresses). A line that ends after the byte count is `common`, and rejected here.
 */
import { ClfParser } from "./clf.ts";
import type { LineParser } from "./parser.ts";

export function createCombinedParser(): LineParser {
  return new ClfParser("combined");
}
