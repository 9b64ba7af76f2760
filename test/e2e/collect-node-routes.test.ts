import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectNodeListener } from "../../functions/apps/collect/node-routes.ts";
import { createHttpApp, PLATFORM_MAX_BODY_BYTES } from "../../functions/apps/http/app.ts";
import { closeServer, createNodeServer, listen, nodePlatform } from "../../functions/apps/http/node.ts";
import {
  type Harness,
  harness,
  json,
  UA_CHROME,
  UA_GOOGLEBOT,
  UMAMI_WEBSITE_ID,
} from "../unit/apps/collect/harness.ts";

/**
 * Under `logsieve serve` the collector's busiest requests skip the Hono app and go from node:http straight to the
 * collector's route code (functions/apps/collect/node-routes.ts). Users rely on that shortcut answering exactly as
 * the app does. Two servers over two identical collectors — one with the shortcut, one the app alone — get the same
 * raw requests byte for byte; the answers (status line, headers but Date, body), the rows stored, the counters and
 * the log lines must be equal, and the shortcut must have answered most of them (else the test compares the app
 * with itself).
 */

interface Side {
  readonly h: Harness;
  readonly port: number;
  taken: number;
  stop(): Promise<void>;
}

async function side(fast: boolean): Promise<Side> {
  const h = harness();
  const app = createHttpApp({ platform: nodePlatform, logger: h.logger, collect: h.routes });
  const listener = collectNodeListener(h.routes, PLATFORM_MAX_BODY_BYTES);
  const result: Side = {
    h,
    port: 0,
    taken: 0,
    stop: async () => undefined,
  };
  const server = createNodeServer(
    app,
    fast
      ? (incoming, outgoing) => {
          const answered = listener(incoming, outgoing);
          if (answered) result.taken++;
          return answered;
        }
      : undefined,
  );
  const address: AddressInfo = await listen(server, "127.0.0.1", 0);
  return Object.assign(result, { port: address.port, stop: () => closeServer(server) });
}

/** Sends raw bytes on a fresh connection and returns the whole answer, its Date header blanked. */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () =>
      resolve(
        Buffer.concat(chunks)
          .toString("latin1")
          .replace(/\r\nDate: [^\r]*/i, "\r\nDate: (now)"),
      ),
    );
    socket.on("error", reject);
    socket.end(raw, "latin1");
  });
}

function request(
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string,
): string {
  const all: Record<string, string> = {
    host: "127.0.0.1:8080",
    "user-agent": UA_CHROME,
    connection: "close",
    ...headers,
  };
  if (body !== undefined && all["content-length"] === undefined)
    all["content-length"] = String(Buffer.byteLength(body));
  const head = Object.entries(all)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return `${method} ${target} HTTP/1.1\r\n${head}\r\n${body === undefined ? "" : Buffer.from(body).toString("latin1")}`;
}

const PAGE = "https://example.com/articles/1?utm_source=newsletter";
const ORIGIN = { origin: "https://example.com" };
const JSON_TEXT = { "content-type": "text/plain;charset=UTF-8" };
const q = encodeURIComponent;

/** A fixed pseudo-random sequence (the same targets every run). */
function* targets(count: number): Generator<string> {
  // Every character a plain target may hold, and the escapes' `%`; `'` (which the URL parser escapes once a target
  // has a `%`, so the app decides) has requests of its own below.
  const alphabet = "!#$%&()*+,-./0123456789:;=?@ABCZ[]_abcz~";
  let seed = 20_261_207;
  for (let i = 0; i < count; i++) {
    let extra = "";
    for (let j = 0; j < 24; j++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      extra += alphabet[seed % alphabet.length];
    }
    yield `/p.gif?site=example.com&url=${q(`${PAGE}&n=${i}`)}&cs=1&x=${extra}`;
  }
}

const REQUESTS: readonly string[] = [
  request(
    "POST",
    "/collect",
    { ...ORIGIN, ...JSON_TEXT },
    json({ site: "example.com", url: PAGE, consent: { statistics: true } }),
  ),
  request(
    "POST",
    "/collect",
    { ...ORIGIN, ...JSON_TEXT },
    json({ site: "example.com", url: PAGE, referrer: "https://www.google.com/" }),
  ),
  request(
    "POST",
    "/collect",
    { ...ORIGIN, ...JSON_TEXT, dnt: "1" },
    json({ site: "example.com", url: PAGE, consent: { statistics: true } }),
  ),
  request(
    "POST",
    "/collect",
    { ...ORIGIN, ...JSON_TEXT, "sec-gpc": "1" },
    json({ site: "example.com", url: PAGE }),
  ),
  request(
    "POST",
    "/collect",
    { ...ORIGIN, ...JSON_TEXT, "user-agent": UA_GOOGLEBOT },
    json({ site: "example.com", url: PAGE }),
  ),
  request("POST", "/collect", { ...ORIGIN, ...JSON_TEXT }, "{not json"),
  request("POST", "/collect", { ...ORIGIN, ...JSON_TEXT }, json({ url: PAGE })),
  request("POST", "/collect", { ...ORIGIN, ...JSON_TEXT }, json({ site: "elsewhere.example", url: PAGE })),
  request(
    "POST",
    "/collect",
    { origin: "https://attacker.example", ...JSON_TEXT },
    json({ site: "example.com", url: PAGE }),
  ),
  request(
    "POST",
    "/collect",
    { ...ORIGIN, ...JSON_TEXT },
    `\uFEFF${json({ site: "example.com", url: PAGE })}`,
  ),
  request("POST", "/collect", { ...ORIGIN, ...JSON_TEXT }, ""),
  request("POST", "/collect", { ...ORIGIN, ...JSON_TEXT }, "x".repeat(9000)),
  request("POST", "/collect", { ...ORIGIN, ...JSON_TEXT, "content-length": String(2 * 1024 * 1024) }),
  request("POST", "/collect#frag", { ...ORIGIN, ...JSON_TEXT }, json({ site: "example.com", url: PAGE })),
  request("POST", "/collect?x='y'", { ...ORIGIN, ...JSON_TEXT }, json({ site: "example.com", url: PAGE })),
  request("PUT", "/collect", ORIGIN, "{}"),
  request("HEAD", "/p.gif?site=example.com"),
  request("GET", `/p.gif?site=example.com&url=${q(PAGE)}&x='`),
  request("GET", "/p.gif?site=example.com&url=https://example.com/it's"),
  request("GET", `/p.gif?site=example.com&url=${q(PAGE)}`).replace("HTTP/1.1", "HTTP/1.0"),
  request("OPTIONS", "/collect", { ...ORIGIN, "access-control-request-method": "POST" }),
  request("OPTIONS", "/api/event", { ...ORIGIN, "access-control-request-method": "DELETE" }),
  request("OPTIONS", "/collect", { origin: "https://attacker.example" }),
  request(
    "POST",
    "/api/event",
    { ...ORIGIN, ...JSON_TEXT },
    json({ n: "pageview", u: PAGE, d: "example.com", r: "https://duckduckgo.com/" }),
  ),
  request(
    "POST",
    "/api/event",
    { ...ORIGIN, ...JSON_TEXT, "user-agent": UA_GOOGLEBOT },
    json({ n: "pageview", u: PAGE, d: "example.com" }),
  ),
  request(
    "POST",
    "/api/send",
    { ...ORIGIN, "content-type": "application/json" },
    json({
      type: "event",
      payload: { website: UMAMI_WEBSITE_ID, url: "/articles/2", hostname: "example.com" },
    }),
  ),
  request("GET", `/p.gif?site=example.com&url=${q(PAGE)}&cs=1`),
  request("GET", `/p.gif?site=example.com&url=${q(PAGE)}`, { "x-forwarded-for": "198.51.100.7" }),
  request("GET", `/p.gif?site=example.com&url=${"a".repeat(9000)}`),
  request(
    "GET",
    `/matomo.php?idsite=example.com&rec=1&url=${q(PAGE)}&action_name=Article&_id=0123456789abcdef&send_image=0&consent=1`,
  ),
  request("GET", `/matomo.php?idsite=example.com&rec=1&url=${q(PAGE)}`),
  request(
    "POST",
    "/matomo.php",
    { ...ORIGIN, "content-type": "application/json" },
    json({ requests: [`?idsite=example.com&rec=1&url=${q(PAGE)}`, "?idsite=nope&rec=1"] }),
  ),
  request("GET", "/logsieve.js"),
  request("GET", "/nothing-here"),
  request("POST", "/x/../collect", { ...ORIGIN, ...JSON_TEXT }, json({ site: "example.com", url: PAGE })),
  request("POST", "/coll%65ct", { ...ORIGIN, ...JSON_TEXT }, json({ site: "example.com", url: PAGE })),
  request(
    "POST",
    "/collect",
    { ...ORIGIN, ...JSON_TEXT, host: "Example.COM" },
    json({ site: "example.com", url: PAGE }),
  ),
  request(
    "POST",
    "/collect",
    { ...ORIGIN, ...JSON_TEXT, host: "127.0.0.1:61234" },
    json({ site: "example.com", url: PAGE }),
  ),
  `POST /collect HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{}xx\r\n0\r\n\r\n`,
  ...Array.from(targets(40), (target) => request("GET", target)),
];

describe("the collector's shortcut on node:http", () => {
  let fast: Side;
  let app: Side;
  const answers: { request: string; fast: string; app: string }[] = [];

  beforeAll(async () => {
    fast = await side(true);
    app = await side(false);
    for (const raw of REQUESTS) {
      answers.push({
        request: raw,
        fast: await exchange(fast.port, raw),
        app: await exchange(app.port, raw),
      });
    }
  }, 60_000);

  afterAll(async () => {
    await fast?.stop();
    await app?.stop();
  });

  it("answers every request exactly as the app does", () => {
    // Assess: the whole answer, status line to body, request by request.
    for (const answer of answers) expect(answer.fast, answer.request.split("\r\n")[0]).toBe(answer.app);
    // Positive control: the answers are real ones (accepted, refused, the pixel, the preflight, the script).
    const statuses = new Set(answers.map((a) => a.app.slice(9, 12)));
    for (const status of ["200", "202", "204", "400", "403", "404", "405", "413", "414"])
      expect(statuses).toContain(status);
  });

  it("stores the same rows, counts the same and logs the same", () => {
    // Assess
    expect(fast.h.sink.rows.length).toBeGreaterThan(40);
    expect(fast.h.sink.rows).toEqual(app.h.sink.rows);
    expect(fast.h.counters()).toEqual(app.h.counters());
    expect(fast.h.logs).toEqual(app.h.logs);
  });

  it("answered most of them itself", () => {
    // Assess: everything but HEAD, HTTP/1.0, the escaped target with `'`, the unknown path, the dot segment, the
    // escaped path, the two unusual hosts and the chunked body (the fuzzed targets are fixed; none of them needs the app).
    expect(fast.taken).toBe(REQUESTS.length - 9);
    expect(app.taken).toBe(0);
  });
});
