/**
 * `s3`: Amazon S3 server access logs.
 *
 *   bucket_owner bucket [time] remote_ip requester request_id operation key "request_uri" http_status error_code
 *   bytes_sent object_size total_time turn_around_time "referrer" "user_agent" version_id host_id … (AWS adds fields
 *   at the end; everything after the user agent is read past)
 *
 * The bucket becomes the host (a website bucket is named after its domain), `total_time` (milliseconds) the time
 * taken. Entries S3 writes for its own operations (lifecycle transitions, expirations) have no quoted request and
 * are rejected as `malformed`.
 */
import { type CompiledFormat, compileTemplate, type Piece, ROLE } from "./custom/template.ts";
import type { LineParser } from "./parser.ts";

const skip = (label: string): Piece => ({ field: { role: ROLE.SKIP, label } });

const S3: CompiledFormat = compileTemplate({
  format: "s3",
  escaping: "apache",
  what: "S3 access log format",
  hints: { time: "", request: "", client: "" },
  pieces: [
    skip("bucket_owner"),
    { literal: " " },
    { field: { role: ROLE.HOST, label: "bucket" } },
    { literal: " [" },
    { field: { role: ROLE.TIME_CLF, label: "time" } },
    { literal: "] " },
    { field: { role: ROLE.CLIENT, label: "remote_ip" } },
    { literal: " " },
    skip("requester"),
    { literal: " " },
    skip("request_id"),
    { literal: " " },
    skip("operation"),
    { literal: " " },
    skip("key"),
    { literal: ' "' },
    { field: { role: ROLE.REQUEST, label: "request_uri" } },
    { literal: '" ' },
    { field: { role: ROLE.STATUS, label: "http_status" } },
    { literal: " " },
    skip("error_code"),
    { literal: " " },
    { field: { role: ROLE.BYTES, label: "bytes_sent" } },
    { literal: " " },
    skip("object_size"),
    { literal: " " },
    { field: { role: ROLE.DURATION, toMs: 1, label: "total_time" } },
    { literal: " " },
    skip("turn_around_time"),
    { literal: ' "' },
    { field: { role: ROLE.REFERRER, label: "referrer" } },
    { literal: '" "' },
    { field: { role: ROLE.USER_AGENT, label: "user_agent" } },
    { literal: '"' },
  ],
});

export function createS3Parser(): LineParser {
  return S3.createParser();
}
