import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServe, startServe } from "../../functions/apps/http/server.ts";
import { readZone, stringify } from "./collector-harness.ts";

/**
 * The privacy invariant through the collector: canary addresses arrive as the client address (from a trusted
 * proxy's X-Forwarded-For) and hidden in everything a visitor can write — page paths and query values, referrers,
 * event names, Plausible props, Matomo's `_id`/`cip`/`uid`, user agents — in dotted, %-encoded and hex spellings,
 * through every protocol, in valid and refused requests. None may appear in any events/ object, any log line, or
 * any response. The collector writes no security record: nothing but events/ and salts/ may exist in the lake.
 */

const CANARIES = 60;
const UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

interface Canary {
  readonly dotted: string;
  readonly hex: string;
  readonly prefix: string;
}

function canaries(): Canary[] {
  const out: Canary[] = [];
  for (let i = 0; i < CANARIES; i++) {
    // Public-looking addresses with host bits set, so a /24 prefix never equals one.
    const octets = [23 + ((i * 7) % 150), (i * 37) % 256, (i * 101) % 256, 2 + ((i * 13) % 250)];
    out.push({
      dotted: octets.join("."),
      hex: `0x${octets.map((o) => o.toString(16).padStart(2, "0")).join("")}`,
      prefix: `${octets.slice(0, 3).join(".")}.0/24`,
    });
  }
  return out;
}

describe("privacy: canary IPs sent through the collector", () => {
  let dir: string;
  let serve: RunningServe;
  const logLines: string[] = [];
  const responses: string[] = [];
  const list = canaries();

  beforeAll(async () => {
    // Prepare: the server trusts loopback as a proxy, so X-Forwarded-For sets the client address.
    dir = await mkdtemp(join(tmpdir(), "logsieve-collector-canary-"));
    const record =
      (level: string) =>
      (message: string, attributes: Record<string, unknown> = {}) =>
        logLines.push(JSON.stringify({ level, message, ...attributes }));
    serve = await startServe({
      host: "127.0.0.1",
      port: 0,
      lakeDir: join(dir, "lake"),
      config: { sites: ["site.test"], trustedProxies: ["127.0.0.1"], scrub: { allowedQueryParams: ["ref"] } },
      sink: { maxBatchAgeMs: 50 },
      logger: { info: record("INFO"), warn: record("WARN"), error: record("ERROR") },
    });
    // Act: every canary through every protocol, valid and refused.
    for (const [i, c] of list.entries()) {
      const other = list[(i + 1) % list.length] as Canary;
      const encoded = other.dotted.replaceAll(".", "%2E");
      const page = `https://site.test/user/${other.dotted}/${other.hex}?utm_source=${encoded}&ref=${other.dotted}&x=${other.dotted}`;
      const headers = {
        "x-forwarded-for": `${c.dotted}, 127.0.0.1`,
        "user-agent": i % 5 === 0 ? `${UA} ${other.dotted}` : UA,
        origin: "https://site.test",
      };
      const consent =
        i % 3 === 0 ? { statistics: true, marketing: true } : i % 3 === 1 ? { statistics: true } : undefined;
      const sends: Promise<Response>[] = [
        fetch(`${serve.url}/collect`, {
          method: "POST",
          headers,
          body: JSON.stringify({
            site: "site.test",
            url: page,
            referrer: `http://${other.dotted}/from/${other.hex}`,
            name: `clicked ${other.dotted}`,
            props: { ip: other.dotted },
            ...(consent === undefined ? {} : { consent }),
          }),
        }),
        fetch(`${serve.url}/api/event`, {
          method: "POST",
          headers: { ...headers, "content-type": "text/plain" },
          body: JSON.stringify({
            n: "pageview",
            u: page,
            d: "site.test",
            r: `https://${other.dotted}/`,
            p: { who: other.dotted },
          }),
        }),
        fetch(
          `${serve.url}/matomo.php?idsite=site.test&rec=1&url=${encodeURIComponent(page)}&urlref=${encodeURIComponent(`http://${other.hex}/`)}&_id=${other.hex.slice(2)}00000000&cip=${other.dotted}&uid=${other.dotted}&action_name=${encoded}&consent=1&send_image=0`,
          { headers },
        ),
        fetch(
          `${serve.url}/p.gif?site=site.test&url=${encodeURIComponent(page)}&ref=${encodeURIComponent(`https://${other.dotted}/`)}&name=${encoded}&cs=1&cm=1`,
          { headers },
        ),
        // Refused requests: the reasons are logged, the input must not be.
        fetch(`${serve.url}/collect`, { method: "POST", headers, body: `{"site":"${other.dotted}"` }),
        fetch(`${serve.url}/collect`, {
          method: "POST",
          headers,
          body: JSON.stringify({ site: `${other.dotted}.example`, url: page }),
        }),
        fetch(`${serve.url}/api/event`, {
          method: "POST",
          headers,
          body: JSON.stringify({ n: other.dotted, d: "site.test" }),
        }),
        fetch(`${serve.url}/${other.dotted}/wp-login.php?ip=${other.dotted}`, { headers }),
        fetch(`${serve.url}/collect`, { method: "POST", headers, body: other.dotted.repeat(1000) }),
      ];
      for (const response of await Promise.all(sends)) {
        responses.push(
          `${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`,
        );
      }
    }
    await serve.close();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("stored events whose prefixes come from the canaries (the forwarded address was used)", async () => {
    // Act
    const rows = (await readZone(serve.collector.lakeDir, "events")).flatMap((o) => o.rows);
    // Assess
    expect(rows.length).toBe(CANARIES * 4);
    const prefixes = new Set(rows.map((r) => r.ip_prefix).filter((p) => p !== null));
    expect(prefixes).toEqual(new Set(list.map((c) => c.prefix)));
    expect(rows.filter((r) => r.visitor_id !== null).length).toBeGreaterThan(CANARIES);
  });

  it("finds no canary in any events/ object", async () => {
    // Act
    const objects = await readZone(serve.collector.lakeDir, "events");
    const text = stringify(objects);
    // Assess
    expect(objects.length).toBeGreaterThan(0);
    for (const c of list) {
      expect(text).not.toContain(c.dotted);
      expect(text.toLowerCase()).not.toContain(c.hex);
      expect(text).not.toContain(c.dotted.replaceAll(".", "%2E"));
    }
  });

  it("finds no canary in any log line or response", async () => {
    // Assess
    expect(logLines.length).toBeGreaterThan(0);
    const logged = logLines.join("\n");
    const answered = responses.join("\n");
    for (const c of list) {
      expect(logged).not.toContain(c.dotted);
      expect(answered).not.toContain(c.dotted);
      expect(answered).not.toContain(c.hex);
    }
  });

  it("wrote nothing outside events/ and salts/ (the collector keeps no security record)", async () => {
    // Act
    const zones = (await readdir(serve.collector.lakeDir)).sort();
    const salts = await readdir(join(serve.collector.lakeDir, "salts"), { recursive: true });
    const saltText = await Promise.all(
      salts
        .filter((f) => f.endsWith(".json"))
        .map((f) => readFile(join(serve.collector.lakeDir, "salts", f), "utf8")),
    );
    // Assess
    expect(zones).toEqual(["events", "salts"]);
    for (const c of list) expect(saltText.join("")).not.toContain(c.dotted);
  });
});
