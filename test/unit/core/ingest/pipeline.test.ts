import { describe, expect, it } from "vitest";
import { ObjectStoreSaltStore } from "../../../../functions/adapters/salt/object-store-salt-store.ts";
import { parseConfig } from "../../../../functions/core/config.ts";
import { createEnricher } from "../../../../functions/core/enrich/enrich.ts";
import type { RawLine } from "../../../../functions/core/ingest/lines.ts";
import { type IngestDeps, ingest } from "../../../../functions/core/ingest/pipeline.ts";
import type { LogFormat } from "../../../../functions/core/types.ts";
import { FixedClock } from "../../../../functions/ports/clock.ts";
import { NO_GEO } from "../../../../functions/ports/geo.ts";
import { jsonLinesEncoder, MemoryObjectStore, rowsUnder } from "../../../helpers/memory-store.ts";

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

function deps(configInput: unknown = { sites: ["example.com"] }): IngestDeps & { store: MemoryObjectStore } {
  const clock = new FixedClock(NOW);
  const store = new MemoryObjectStore(() => clock.now());
  let counter = 0;
  const salts = new ObjectStoreSaltStore(store, clock, (n) => new Uint8Array(n).fill(++counter));
  return {
    config: parseConfig(configInput),
    enrich: createEnricher(NO_GEO),
    salts,
    store,
    encoder: jsonLinesEncoder,
    clock,
  };
}

async function* batches(
  lines: readonly string[],
  maxLineBytes = 1024 * 1024,
): AsyncIterable<readonly RawLine[]> {
  yield lines.map((text, i) => {
    const bytes = new TextEncoder().encode(text).byteLength;
    return {
      lineNo: i + 1,
      text: bytes > maxLineBytes ? text.slice(0, 100) : text,
      bytes,
      tooLong: bytes > maxLineBytes,
    };
  });
}

function combined(ip: string, time: string, target: string, status = 200, ua = CHROME): string {
  return `${ip} - - [${time} +0000] "GET ${target} HTTP/1.1" ${status} 1234 "https://www.google.com/search?q=x" "${ua}"`;
}

async function run(lines: readonly string[], d = deps(), format?: LogFormat) {
  const summary = await ingest({ inputId: "input1", lines: batches(lines), format }, d);
  return { summary, store: d.store };
}

describe("ingest pipeline", () => {
  it("accounts for every line: accepted + rejected = lines, blank lines skipped apart", async () => {
    // Prepare
    const lines = [
      combined("203.0.113.10", "20/Nov/2026:10:15:00", "/a"),
      "",
      "garbage that is no log line",
      combined("203.0.113.11", "20/Nov/2026:23:59:59", "/b?utm_source=x&secret=1"),
      combined("999.1.1.1", "20/Nov/2026:10:16:00", "/c"),
      combined("2001:db8::1", "21/Nov/2026:00:00:01", "/d"),
    ];
    // Act
    const { summary, store } = await run(lines);
    // Assess
    expect(summary.format).toBe("combined");
    expect(summary.accepted).toBe(3);
    expect(summary.rejected.total).toBe(2);
    expect(summary.rejected.byReason.bad_client_ip).toBe(1);
    expect(summary.lines).toBe(summary.accepted + summary.rejected.total);
    expect(summary.skipped.blank).toBe(1);
    expect(summary.eventDays).toEqual(["2026-11-20", "2026-11-21"]);
    expect(store.keys("security/")).toEqual([
      "security/dt=2026-11-20/hour=10/input1-0000.jsonl",
      "security/dt=2026-11-20/hour=23/input1-0000.jsonl",
      "security/dt=2026-11-21/hour=00/input1-0000.jsonl",
    ]);
    expect(store.keys("events/")).toEqual([
      "events/dt=2026-11-20/input1-0000.jsonl",
      "events/dt=2026-11-21/input1-0000.jsonl",
    ]);
    const rejects = await rowsUnder(store, "rejects/dt=2026-11-21/hour=12/");
    expect(rejects.map((r) => r.line_no)).toEqual([3, 5]);
  });

  it("writes each hour and day once for a log written several times over (it comes back to its hours)", async () => {
    // Prepare: six hours over two days, then the same lines three times more (as the elastic bench log)
    const once = [
      "20/Nov/2026:21",
      "20/Nov/2026:22",
      "20/Nov/2026:23",
      "21/Nov/2026:00",
      "21/Nov/2026:01",
      "21/Nov/2026:02",
    ].flatMap((hour, h) =>
      [0, 1, 2].map((m) => combined(`203.0.113.${h * 3 + m}`, `${hour}:0${m}:00`, `/p${m}`)),
    );
    const lines = [...once, ...once, ...once, ...once];

    // Act
    const { summary, store } = await run(lines);

    // Assess
    expect(summary.accepted).toBe(72);
    expect(store.keys("events/")).toEqual([
      "events/dt=2026-11-20/input1-0000.jsonl",
      "events/dt=2026-11-21/input1-0000.jsonl",
    ]);
    expect(store.keys("security/")).toEqual(
      [
        "dt=2026-11-20/hour=21",
        "dt=2026-11-20/hour=22",
        "dt=2026-11-20/hour=23",
        "dt=2026-11-21/hour=00",
        "dt=2026-11-21/hour=01",
        "dt=2026-11-21/hour=02",
      ].map((hour) => `security/${hour}/input1-0000.jsonl`),
    );
    expect((await rowsUnder(store, "security/")).map((r) => r.line_no)).toEqual(
      [0, 1, 2, 3, 4, 5].flatMap((h) =>
        [0, 1, 2, 3].flatMap((copy) => [1, 2, 3].map((m) => copy * 18 + h * 3 + m)),
      ),
    );
    expect(summary.objectsWritten).toBe(8);
  });

  it("writes the full record to security/ and a truncated, scrubbed event to events/", async () => {
    // Act
    const { store } = await run([
      combined("203.0.113.10", "20/Nov/2026:10:15:00", "/b?utm_source=news&secret=1#frag"),
    ]);
    // Assess
    const [security] = await rowsUnder(store, "security/");
    const [event] = await rowsUnder(store, "events/");
    expect(security).toMatchObject({
      client_ip: "203.0.113.10",
      target: "/b?utm_source=news&secret=1#frag",
      user_agent: CHROME,
      line_no: 1,
    });
    expect(event).toMatchObject({
      site: "example.com",
      path: "/b",
      query: "utm_source=news",
      utm_source: "news",
      referrer_host: "www.google.com",
      ip_prefix: "203.0.113.0/24",
      browser: "Chrome",
      browser_major: "131",
      consent_tier: "statistics",
      consent_reason: "log_default",
      ts: Date.UTC(2026, 10, 20, 10, 15, 0),
    });
    expect(typeof event?.visitor_id).toBe("string");
    expect(JSON.stringify(event)).not.toContain("203.0.113.10");
  });

  it("gives the same visitor id to the same client on the same day, and another on the next day", async () => {
    const { store } = await run([
      combined("203.0.113.10", "20/Nov/2026:10:15:00", "/a"),
      combined("203.0.113.10", "20/Nov/2026:18:00:00", "/b"),
      combined("203.0.113.11", "20/Nov/2026:18:00:00", "/b"),
      combined("203.0.113.10", "21/Nov/2026:08:00:00", "/c"),
    ]);
    const ids = (await rowsUnder(store, "events/")).map((e) => e.visitor_id);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(ids[3]).not.toBe(ids[0]);
  });

  it("drops events for DNT and GPC with their reason but keeps the security record", async () => {
    // Prepare: JSON lines carry the privacy signals.
    const line = (ip: string, extra: string) =>
      `{"time":"2026-11-20T10:00:00Z","remote_addr":"${ip}","request_method":"GET","request_uri":"/x","status":200,"body_bytes_sent":10,"http_user_agent":"${CHROME}"${extra}}`;
    // Act
    const { summary, store } = await run(
      [
        line("203.0.113.1", ',"http_dnt":"1"'),
        line("203.0.113.2", ',"http_sec_gpc":"1"'),
        line("203.0.113.3", ""),
      ],
      deps(),
      "jsonl",
    );
    // Assess
    expect(summary.accepted).toBe(3);
    expect(summary.dropped).toEqual({ total: 2, byReason: { dnt: 1, gpc: 1 } });
    expect(summary.events).toBe(1);
    expect((await rowsUnder(store, "security/")).length).toBe(3);
    expect((await rowsUnder(store, "events/")).length).toBe(1);
  });

  it("keeps a line of an unknown host in security/ only, counted as unknown_site; a site never comes from a Host header", async () => {
    // Prepare: vhost lines for a configured site, an alias, and hosts an attacker chose.
    const vhost = (host: string, ip: string) =>
      `${host}:443 ${ip} - - [20/Nov/2026:10:15:00 +0000] "GET / HTTP/1.1" 200 10 "-" "${CHROME}"`;
    const d = deps({ sites: ["example.com"], siteSettings: { "example.com": { aliases: ["example.de"] } } });
    // Act
    const { summary, store } = await run(
      [
        vhost("example.com", "198.51.100.1"),
        vhost("www.example.de", "198.51.100.2"),
        vhost("alice.smith@example.com", "198.51.100.3"),
        vhost("203.0.113.200", "198.51.100.4"),
      ],
      d,
      "vhost-combined",
    );
    // Assess
    expect(summary.accepted).toBe(4);
    expect(summary.dropped).toEqual({ total: 2, byReason: { unknown_site: 2 } });
    expect(summary.events).toBe(2);
    const events = await rowsUnder(store, "events/");
    expect(events.map((e) => e.site)).toEqual(["example.com", "example.com"]);
    const security = await rowsUnder(store, "security/");
    expect(security.map((r) => r.site)).toEqual([
      "example.com",
      "www.example.de",
      "alice.smith@example.com",
      "203.0.113.200",
    ]);
  });

  it("keeps a line with a spam referrer in security/ only, counted as spam_referrer; its host never reaches events/", async () => {
    // Prepare: referrers from Matomo's list (a listed host and a subdomain of one) beside real ones.
    const withReferrer = (ip: string, referrer: string) =>
      `${ip} - - [20/Nov/2026:10:15:00 +0000] "GET /a HTTP/1.1" 200 10 "${referrer}" "${CHROME}"`;
    // Act
    const { summary, store } = await run([
      withReferrer("198.51.100.1", "https://semalt.com/"),
      withReferrer("198.51.100.2", "http://forum.darodar.com/x"),
      withReferrer("198.51.100.3", "https://www.google.com/"),
      withReferrer("198.51.100.4", "-"),
    ]);
    // Assess
    expect(summary.accepted).toBe(4);
    expect(summary.dropped).toEqual({ total: 2, byReason: { spam_referrer: 2 } });
    expect(summary.events).toBe(2);
    expect((await rowsUnder(store, "events/")).map((e) => e.referrer_host)).toEqual(["www.google.com", null]);
    expect((await rowsUnder(store, "security/")).map((r) => r.referrer)).toEqual([
      "https://semalt.com/",
      "http://forum.darodar.com/x",
      "https://www.google.com/",
      null,
    ]);
  });

  it("stores no identifier, prefix or version in the anonymous tier", async () => {
    const d = deps({ sites: ["example.com"], consent: { logDefaultTier: "anonymous" } });
    const { store } = await run([combined("203.0.113.10", "20/Nov/2026:10:15:00", "/a")], d);
    const [event] = await rowsUnder(store, "events/");
    expect(event).toMatchObject({
      visitor_id: null,
      ip_prefix: null,
      browser_major: null,
      consent_tier: "anonymous",
    });
    expect(store.keys("salts/")).toEqual([]);
  });

  it("rejects every line of an input in no supported format, and too-long lines, with their reasons", async () => {
    const { summary } = await run(["hello world", "second line of nothing", ""]);
    expect(summary.format).toBeNull();
    expect(summary.rejected.byReason).toEqual({ unknown_format: 2 });

    const d = deps({ ingest: { maxLineBytes: 1024 } });
    const long = combined("203.0.113.10", "20/Nov/2026:10:15:00", `/${"a".repeat(5000)}`);
    const result = await ingest(
      { inputId: "x", lines: batches([combined("203.0.113.10", "20/Nov/2026:10:15:00", "/"), long], 1024) },
      d,
    );
    expect(result.rejected.byReason).toEqual({ line_too_long: 1 });
    expect(result.accepted).toBe(1);
  });
});
