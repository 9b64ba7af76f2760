import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServe, startServe } from "../../functions/apps/http/server.ts";
import { type LakeRow, readZone } from "./collector-harness.ts";

/**
 * Matomo's tracking API as its JavaScript tracker sends it (written by hand after the documented wire format,
 * test/fixtures/collector/README.md): an image GET, a sendBeacon POST with the query in the URL and an empty
 * body, an XHR POST with a form body, a bulk JSON body, a heartbeat and an event — against `logsieve serve`'s
 * server, then read back from the lake.
 */

const UA =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15";
const PAGE = "http://site.test/shop/?utm_source=matomo-test&utm_medium=e2e";

/** The parameters Matomo's getRequest() builds for a page view (values as a browser would have them). */
function pageViewQuery(title: string, extra = ""): string {
  const params = new URLSearchParams({
    action_name: title,
    idsite: "1",
    rec: "1",
    r: "482913",
    h: "11",
    m: "5",
    s: "42",
    url: PAGE,
    urlref: "https://www.ecosia.org/",
    _id: "5a3b9c0d1e2f3a4b",
    _idn: "0",
    send_image: "0",
    _refts: "0",
    pv_id: "Xy12Zq",
    pf_net: "0",
    pf_srv: "12",
    cookie: "1",
    res: "1440x900",
    uadata: "{}",
  });
  return `${params.toString()}${extra}`;
}

describe("collector with Matomo tracking requests", () => {
  let dir: string;
  let serve: RunningServe;
  let rows: LakeRow[] = [];

  beforeAll(async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), "logsieve-matomo-"));
    serve = await startServe({
      host: "127.0.0.1",
      port: 0,
      lakeDir: join(dir, "lake"),
      config: { sites: ["site.test"] },
      sink: { maxBatchAgeMs: 50 },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  });

  afterAll(async () => {
    await serve?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const headers = { "user-agent": UA, origin: "http://site.test" };

  it("answers an image request with a GIF", async () => {
    // Act
    const response = await fetch(
      `${serve.url}/matomo.php?${pageViewQuery("Image").replace("send_image=0", "send_image=1")}`,
      {
        headers: { "user-agent": UA, referer: PAGE },
      },
    );
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/gif");
    const gif = Buffer.from(await response.arrayBuffer());
    expect(gif.subarray(0, 6).toString("latin1")).toBe("GIF89a");
    expect(gif.readUInt16LE(6)).toBe(1); // width
    expect(gif.readUInt16LE(8)).toBe(1); // height
  });

  it("answers sendBeacon's POST (query in the URL, empty body) with 204", async () => {
    // Act
    const response = await fetch(`${serve.url}/matomo.php?${pageViewQuery("Beacon")}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
    });
    // Assess
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://site.test");
  });

  it("reads an XHR POST whose form body holds the query", async () => {
    // Act
    const response = await fetch(`${serve.url}/matomo.php`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
      body: pageViewQuery("Form", "&consent=1"),
    });
    // Assess
    expect(response.status).toBe(204);
  });

  it("reads a bulk request, a heartbeat and an event", async () => {
    // Act
    const bulk = await fetch(`${serve.url}/matomo.php`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({
        requests: [
          `?${pageViewQuery("Bulk one")}`,
          `?${pageViewQuery("Bulk two")}`,
          `?${pageViewQuery("", "&ping=1")}`,
        ],
        send_image: 0,
      }),
    });
    const event = await fetch(
      `${serve.url}/matomo.php?idsite=site.test&rec=1&url=${encodeURIComponent(PAGE)}&e_c=Video&e_a=Play&e_n=Intro&ca=1&send_image=0`,
      { headers },
    );
    // Assess
    expect(bulk.status).toBe(200);
    expect(await bulk.json()).toEqual({ status: "success", tracked: 3, invalid: 0 });
    expect(event.status).toBe(204);
  });

  it("has stored each event once, anonymized, with Matomo's visitor id nowhere", async () => {
    // Act
    await serve.close();
    rows = (await readZone(serve.collector.lakeDir, "events")).flatMap((o) => o.rows);
    const counts = serve.collector.collector.counters();
    // Assess
    expect(counts.dropped.byReason.heartbeat).toBe(1);
    expect(rows.map((r) => `${r.event_name}|${r.consent_tier}`).sort()).toEqual(
      [
        "Video/Play|anonymous",
        "pageview|anonymous",
        "pageview|anonymous",
        "pageview|anonymous",
        "pageview|anonymous",
        "pageview|statistics",
      ].sort(),
    );
    for (const row of rows) {
      expect(row).toMatchObject({
        site: "site.test",
        path: "/shop/",
        query: "utm_medium=e2e&utm_source=matomo-test",
        browser: "Safari",
        os: "Mac OS",
      });
    }
    expect(
      rows.filter((r) => r.event_name === "pageview").every((r) => r.referrer_host === "www.ecosia.org"),
    ).toBe(true);
    expect(JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).not.toContain(
      "5a3b9c0d1e2f3a4b",
    );
  });
});
