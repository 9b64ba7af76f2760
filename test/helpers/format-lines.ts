import type { LogFormat } from "../../functions/core/types.ts";

/**
 * One well-formed line of every built-in format, with the request path, user agent and referrer put in by the
 * caller (JSON-escaped where the format is JSON), for the tests that push payloads through every format. Written
 * by hand after each format's documentation; the client is 203.0.113.5 (RFC 5737) unless given.
 */

export interface LineFields {
  readonly path?: string;
  readonly ua?: string;
  readonly ref?: string;
  readonly client?: string;
}

/** Header lines a format needs before its data lines (W3C `#Fields`), each ending in LF; "" for the others. */
export function formatHeader(format: LogFormat): string {
  if (format === "cloudfront") {
    return "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query\n";
  }
  if (format === "w3c") {
    return "#Version: 1.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) cs(Referer) sc-status sc-bytes time-taken\n";
  }
  return "";
}

/** Whether the format has a user agent / a referrer to carry a payload. */
export const hasUserAgent = (format: LogFormat): boolean => format !== "common" && format !== "squid";
export const hasReferrer = (format: LogFormat): boolean =>
  format !== "common" && format !== "alb" && format !== "elb" && format !== "squid";
/** JSON formats escape what they carry: a CR or LF in a field stays inside the line. */
export const isJsonFormat = (format: LogFormat): boolean =>
  format === "jsonl" || format === "caddy" || format === "traefik-json";

/** 2026-11-20 10:00:00 UTC, the time of every line. */
export const LINE_TIME_MS = Date.UTC(2026, 10, 20, 10, 0, 0);

/** One data line of `format` (tab-separated formats get tabs in the payload replaced by spaces). */
export function formatLine(format: LogFormat, fields: LineFields = {}): string {
  const path = fields.path ?? "/index.html";
  const ua = fields.ua ?? "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
  const ref = fields.ref ?? "https://www.example.org/";
  const client = fields.client ?? "203.0.113.5";
  const time = "20/Nov/2026:10:00:00 +0000";
  const tabless = (s: string) => s.replaceAll("\t", " ");
  switch (format) {
    case "combined":
      return `${client} - - [${time}] "GET ${path} HTTP/1.1" 200 1 "${ref}" "${ua}"`;
    case "common":
      return `${client} - - [${time}] "GET ${path} HTTP/1.1" 200 1`;
    case "vhost-combined":
      return `example.com:443 ${client} - - [${time}] "GET ${path} HTTP/1.1" 200 1 "${ref}" "${ua}"`;
    case "cloudfront":
      return `2026-11-20\t10:00:00\tLAX1\t1\t${client}\tGET\texample.com\t${tabless(path)}\t200\t${tabless(ref)}\t${tabless(ua)}\t-`;
    case "w3c":
      return `2026-11-20\t10:00:00\t192.0.2.80\tGET\t${tabless(path)}\t-\t${client}\t${tabless(ua)}\t${tabless(ref)}\t200\t1\t15`;
    case "alb":
      return `https 2026-11-20T10:00:00.186641Z app/my-lb/50dc6c495c0c9188 ${client}:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET https://example.com:443${path} HTTP/1.1" "${ua}" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/t/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2026-11-20T10:00:00.000000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"`;
    case "elb":
      return `2026-11-20T10:00:00.186641Z my-lb ${client}:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 1 "GET https://example.com:443${path} HTTP/1.1" "${ua}" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2`;
    case "s3":
      return `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be example.com [${time}] ${client} - 3E57427F3EXAMPLE REST.GET.OBJECT index.html "GET ${path} HTTP/1.1" 200 - 1 1 7 6 "${ref}" "${ua}" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader example.com.s3.eu-central-1.amazonaws.com TLSv1.2 - -`;
    case "haproxy":
      return `Nov 20 10:00:00 lb haproxy[6801]: ${client}:55008 [20/Nov/2026:10:00:00.584] www~ web/srv1 0/0/1/72/73 200 1 - - ---- 5/4/0/1/0 0/0 {example.com|${ua}|${ref}} {} "GET ${path} HTTP/1.1"`;
    case "caddy":
      return JSON.stringify({
        level: "info",
        ts: LINE_TIME_MS / 1000,
        logger: "http.log.access.log0",
        msg: "handled request",
        request: {
          remote_ip: client,
          remote_port: "41342",
          client_ip: client,
          proto: "HTTP/1.1",
          method: "GET",
          host: "example.com",
          uri: path,
          headers: { "User-Agent": [ua], Referer: [ref] },
        },
        duration: 0.0012,
        size: 1,
        status: 200,
      });
    case "traefik":
      return `${client} - - [${time}] "GET ${path} HTTP/1.1" 200 1 "${ref}" "${ua}" 1 "web@docker" "http://10.0.0.2:80" 5ms`;
    case "traefik-json":
      return JSON.stringify({
        ClientHost: client,
        ClientPort: "41342",
        DownstreamContentSize: 1,
        DownstreamStatus: 200,
        Duration: 1_335_486,
        RequestHost: "example.com",
        RequestMethod: "GET",
        RequestPath: path,
        RequestProtocol: "HTTP/1.1",
        StartUTC: "2026-11-20T10:00:00.000000000Z",
        "request_User-Agent": ua,
        request_Referer: ref,
      });
    case "squid":
      return `${(LINE_TIME_MS / 1000).toFixed(3)}    110 ${client} TCP_MISS/200 1 GET http://example.com${path} - HIER_DIRECT/203.0.113.80 text/html`;
    case "jsonl":
      return JSON.stringify({
        ts: "2026-11-20T10:00:00Z",
        remote_addr: client,
        request_uri: path,
        status: 200,
        http_user_agent: ua,
        http_referer: ref,
      });
  }
}
