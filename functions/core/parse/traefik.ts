/**
 * `traefik`: Traefik's access log in its default CLF flavour: combined, then the number of requests the entry point
 * had received, the router's name, the service URL and the time taken in milliseconds.
 *
 *   192.0.2.1 - - [10/Oct/2020:13:55:36 +0000] "GET /foo HTTP/1.1" 200 1234 "-" "curl/7.68.0" 1 "web@docker" "http://10.0.0.2:80" 5ms
 *
 * Traefik's JSON access log is `traefik-json` (jsonl.ts).
 */
import { type CompiledFormat, compileTemplate, type Piece, ROLE } from "./custom/template.ts";
import type { LineParser } from "./parser.ts";

const skip = (label: string): Piece => ({ field: { role: ROLE.SKIP, label } });

const TRAEFIK: CompiledFormat = compileTemplate({
  format: "traefik",
  escaping: "apache",
  what: "Traefik CLF format",
  hints: { time: "", request: "", client: "" },
  pieces: [
    { field: { role: ROLE.CLIENT, label: "client address" } },
    { literal: " - " },
    skip("user"),
    { literal: " [" },
    { field: { role: ROLE.TIME_CLF, label: "time" } },
    { literal: '] "' },
    { field: { role: ROLE.REQUEST, label: "request" } },
    { literal: '" ' },
    { field: { role: ROLE.STATUS, label: "status" } },
    { literal: " " },
    { field: { role: ROLE.BYTES, label: "size" } },
    { literal: ' "' },
    { field: { role: ROLE.REFERRER, label: "referrer" } },
    { literal: '" "' },
    { field: { role: ROLE.USER_AGENT, label: "user agent" } },
    { literal: '" ' },
    skip("request count"),
    { literal: ' "' },
    skip("router name"),
    { literal: '" "' },
    skip("service URL"),
    { literal: '" ' },
    { field: { role: ROLE.DURATION, toMs: 1, label: "duration" } },
    { literal: "ms" },
  ],
});

export function createTraefikParser(): LineParser {
  return TRAEFIK.createParser();
}
