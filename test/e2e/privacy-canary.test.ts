import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { seededRandom } from "../../functions/apps/demo/sample-log.ts";

/**
 * The privacy invariant, end to end through the real command: canary addresses are seeded as clients and
 * hidden in paths, query strings, campaign values, referrers and user agents, in dotted, IPv4-mapped,
 * %-encoded and hex spellings. None may appear in any `events/` object or in anything the command prints;
 * every client canary must be in `security/`.
 */

const run = promisify(execFile);
const CANARIES = 1200;

interface Canary {
  readonly dotted: string;
  readonly hex: string;
}

function makeCanaries(): Canary[] {
  const random = seededRandom(4242);
  const seen = new Set<string>();
  const canaries: Canary[] = [];
  while (canaries.length < CANARIES) {
    // Public-looking addresses with host bits set, so a /24 prefix can never equal the canary.
    const octets = [
      11 + Math.floor(random() * 180),
      Math.floor(random() * 256),
      Math.floor(random() * 256),
      2 + Math.floor(random() * 250),
    ];
    const dotted = octets.join(".");
    if (seen.has(dotted)) continue;
    seen.add(dotted);
    const hex = `0x${octets.map((o) => o.toString(16).padStart(2, "0")).join("")}`;
    canaries.push({ dotted, hex });
  }
  return canaries;
}

function line(client: string, target: string, referrer: string, ua: string, second: number): string {
  const s = String(second % 60).padStart(2, "0");
  const m = String(Math.floor(second / 60) % 60).padStart(2, "0");
  return `${client} - - [20/Nov/2026:10:${m}:${s} +0000] "GET ${target} HTTP/1.1" 200 512 "${referrer}" "${ua}"`;
}

const UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

describe("privacy: canary IPs never leave the security zone", () => {
  let dir: string;
  let lake: string;
  let output: string;
  const canaries = makeCanaries();
  const clientCanaries = new Set<string>();

  beforeAll(async () => {
    // Prepare: one log with canaries everywhere a visitor can put text.
    dir = await mkdtemp(join(tmpdir(), "logsieve-canary-"));
    lake = join(dir, "lake");
    const lines: string[] = [];
    canaries.forEach((c, i) => {
      const other = canaries[(i + 1) % canaries.length] as Canary;
      const encoded = c.dotted.replaceAll(".", "%2E");
      switch (i % 6) {
        case 0:
          lines.push(line(c.dotted, "/index.html", "-", UA, i));
          clientCanaries.add(c.dotted);
          break;
        case 1:
          lines.push(line(`::ffff:${c.dotted}`, `/lookup/${other.dotted}`, "-", UA, i));
          clientCanaries.add(c.dotted);
          break;
        case 2:
          lines.push(
            line("192.0.2.1", `/a?ip=${c.dotted}&utm_source=${encoded}&utm_campaign=x${c.hex}`, "-", UA, i),
          );
          break;
        case 3:
          lines.push(
            line("192.0.2.1", `/u/${encoded}/p`, `http://${c.dotted}/admin?from=${c.dotted}`, UA, i),
          );
          break;
        case 4:
          lines.push(
            line(
              "192.0.2.1",
              `/h/${c.hex}`,
              "-",
              `Mozilla/5.0 (compatible; ScanBot/1.0; +http://${c.dotted}/bot)`,
              i,
            ),
          );
          break;
        default:
          lines.push(
            line(
              `[::ffff:${c.dotted}]:443`,
              `/x?utm_medium=${c.dotted}#${c.dotted}`,
              `https://example.org/?q=${c.dotted}`,
              UA,
              i,
            ),
          );
          clientCanaries.add(c.dotted);
      }
    });
    const logPath = join(dir, "canary.log");
    await writeFile(logPath, `${lines.join("\n")}\n`);
    const config = join(dir, "config.json");
    await writeFile(config, JSON.stringify({ sites: ["example.com"] }));

    // Act: the real command, as a user runs it.
    const bin = join(process.cwd(), "bin", "logsieve.js");
    const result = await run("node", [
      bin,
      "--lake",
      lake,
      "--config",
      config,
      "ingest",
      "--site",
      "example.com",
      logPath,
    ]);
    const json = await run("node", [bin, "--lake", lake, "--config", config, "ingest", "--json", logPath]);
    const missing = await run("node", [bin, "--lake", lake, "ingest", join(dir, "nope.log")]).catch(
      (e: { stdout: string; stderr: string }) => e,
    );
    output = [result.stdout, result.stderr, json.stdout, json.stderr, missing.stdout, missing.stderr].join(
      "\n",
    );
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function zoneText(zone: string): Promise<string> {
    const store = new LocalObjectStore(lake);
    const parts: string[] = [];
    for await (const info of store.list(`${zone}/`)) {
      const body = await store.get(info.key);
      if (body === null) continue;
      const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
      const rows = await parquetReadObjects({ file });
      parts.push(JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    }
    return parts.join("\n");
  }

  /** Every canary found in the text, in any of the spellings seeded (one pass over the text's tokens). */
  function leaked(text: string): string[] {
    const decoded = text.replace(/%2E/gi, ".");
    const found = new Set<string>();
    for (const match of decoded.matchAll(/\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/g)) found.add(match[0]);
    for (const match of decoded.toLowerCase().matchAll(/0x[0-9a-f]{8}/g)) found.add(match[0]);
    return canaries.filter((c) => found.has(c.dotted) || found.has(c.hex)).map((c) => c.dotted);
  }

  it("writes events for every line", async () => {
    // Assess: the events exist (a test that found no events would prove nothing).
    const events = await zoneText("events");
    expect(events.length).toBeGreaterThan(1000);
    expect(JSON.parse(events.split("\n")[0] as string).length).toBeGreaterThan(0);
  });

  it("finds no canary in any events/ object", async () => {
    expect(leaked(await zoneText("events"))).toEqual([]);
  });

  it("finds no canary in anything the command printed, including its errors", () => {
    expect(output).toContain("no such file");
    expect(leaked(output)).toEqual([]);
  });

  it("keeps every client canary in security/", async () => {
    const security = await zoneText("security");
    const missing = [...clientCanaries].filter((ip) => !security.includes(`"${ip}"`));
    expect(clientCanaries.size).toBeGreaterThanOrEqual(CANARIES / 2);
    expect(missing).toEqual([]);
    // The detector itself works: run over the security zone, it finds the canaries that are meant to be there.
    expect(leaked(security).length).toBeGreaterThanOrEqual(clientCanaries.size);
  });
});
