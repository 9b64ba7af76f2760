import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { type CommandResult, runCommand } from "../helpers/run-command.ts";

/**
 * `logsieve ingest --json` with the formats users paste (issue 18): nginx and Apache format lines from GoAccess issues
 * (test/fixtures/formats), on the command line and in the configuration's `formats`; every sample line accepted,
 * the security zone holding the client the format gives (the forwarded one only past a trusted proxy), and the
 * summary saying where the format came from and, when detected, how many sample lines matched.
 */

const ROOT = new URL("../../", import.meta.url);
const FORMATS = new URL("../fixtures/formats/", import.meta.url);

function logsieve(args: readonly string[]): Promise<CommandResult> {
  return runCommand(process.execPath, ["bin/logsieve.js", ...args], { cwd: ROOT });
}

interface Report {
  files: {
    name: string;
    format: string | null;
    formatFrom: string;
    formatDetected: boolean;
    detection: { matched: number; considered: number } | null;
    lines: number;
    accepted: number;
    rejected: { total: number };
  }[];
}

async function securityRows(lake: string): Promise<Record<string, unknown>[]> {
  const store = new LocalObjectStore(lake);
  const rows: Record<string, unknown>[] = [];
  for await (const info of store.list("security/")) {
    const body = await store.get(info.key);
    if (body === null) continue;
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    rows.push(
      ...((await parquetReadObjects({
        file,
        columns: ["client_ip", "format", "target", "status"],
      })) as Record<string, unknown>[]),
    );
  }
  return rows;
}

let dir: string;
const fixture = (name: string) => new URL(name, FORMATS).pathname;
const formatText = async (name: string) => (await readFile(new URL(name, FORMATS), "utf8")).trim();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-formats-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("logsieve ingest with a pasted format", () => {
  it('--nginx-format (#1066 as in nginx.conf) and --apache-format (#1161 with its \\" escapes): every line accepted', async () => {
    // Act
    const [nginx, apache] = await Promise.all([
      logsieve([
        "--lake",
        join(dir, "lake-n"),
        "ingest",
        "--json",
        "--nginx-format",
        await formatText("nginx-1066.format"),
        fixture("nginx-1066.log"),
      ]),
      logsieve([
        "--lake",
        join(dir, "lake-a"),
        "ingest",
        "--json",
        "--apache-format",
        await formatText("apache-1161.format"),
        fixture("apache-1161.log"),
      ]),
    ]);

    // Assess
    expect(nginx.code, nginx.stderr).toBe(0);
    expect(apache.code, apache.stderr).toBe(0);
    const n = (JSON.parse(nginx.stdout) as Report).files[0];
    const a = (JSON.parse(apache.stdout) as Report).files[0];
    expect(n).toMatchObject({
      format: "nginx",
      formatFrom: "--nginx-format",
      formatDetected: false,
      lines: 3,
      accepted: 3,
    });
    expect(a).toMatchObject({ format: "apache", formatFrom: "--apache-format", lines: 3, accepted: 3 });
    const rows = await securityRows(join(dir, "lake-a"));
    // No trusted proxy configured: the peer is the client, the forwarded list is not believed.
    expect(rows.map((r) => r.client_ip).sort()).toEqual(["10.0.2.100", "10.0.2.101", "10.0.2.102"]);
    expect(rows.every((r) => r.format === "apache")).toBe(true);
  }, 90_000);

  it("formats in the configuration by file pattern, the forwarded client when the proxy is trusted, detection otherwise", async () => {
    // Prepare: a configuration naming two of the GoAccess issues' formats by file name, trusting the proxies
    const logs = join(dir, "logs");
    await mkdir(logs, { recursive: true });
    const copy = async (from: string, to: string) =>
      writeFile(join(logs, to), await readFile(new URL(from, FORMATS)));
    await copy("nginx-2348.log", "trace-access.log");
    await copy("apache-2625.log", "apache-access.log");
    await writeFile(
      join(logs, "plain.log"),
      '203.0.113.5 - - [20/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0"\n',
    );
    const config = join(dir, "logsieve.json");
    await writeFile(
      config,
      JSON.stringify({
        sites: ["example.com"],
        trustedProxies: ["10.0.0.0/8"],
        formats: [
          {
            match: "trace-*.log",
            nginx: await formatText("nginx-2348.format"),
            variables: ["int_request_id"],
          },
          { match: `${logs}/apache-*.log`, apache: await formatText("apache-2625.format") },
        ],
      }),
    );
    const lake = join(dir, "lake-c");

    // Act
    const run = await logsieve([
      "--lake",
      lake,
      "--config",
      config,
      "ingest",
      "--json",
      join(logs, "trace-access.log"),
      join(logs, "apache-access.log"),
      join(logs, "plain.log"),
    ]);
    const human = await logsieve([
      "--lake",
      join(dir, "lake-h"),
      "--config",
      config,
      "ingest",
      join(logs, "plain.log"),
      join(logs, "trace-access.log"),
    ]);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const files = (JSON.parse(run.stdout) as Report).files;
    expect(files.map((f) => [f.name, f.format, f.formatFrom, f.accepted, f.rejected.total])).toEqual([
      ["trace-access.log", "nginx", "formats[0]", 3, 0],
      ["apache-access.log", "apache", "formats[1]", 3, 0],
      ["plain.log", "combined", "detection", 1, 0],
    ]);
    expect(files[2]?.detection).toEqual({ matched: 1, considered: 1 });
    const rows = await securityRows(lake);
    const nginxClients = rows.filter((r) => r.format === "nginx").map((r) => r.client_ip);
    // 10.81.142.115 is a trusted proxy: its X-Forwarded-For names the client; 203.0.113.60 sent none.
    expect(nginxClients.sort()).toEqual(["198.51.100.9", "203.0.113.50", "203.0.113.60"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("plain.log: combined (detected: 1 of 1 sample lines matched)");
    expect(human.stdout).toContain("trace-access.log: nginx (configuration formats[0])");
  }, 90_000);

  it("refuses two formats at once, and date formats without --goaccess-format, before reading anything", async () => {
    // Act
    const runs = await Promise.all([
      logsieve([
        "--lake",
        join(dir, "lake-x1"),
        "ingest",
        "--format",
        "combined",
        "--apache-format",
        "%h %t %r",
        fixture("apache-1161.log"),
      ]),
      logsieve([
        "--lake",
        join(dir, "lake-x2"),
        "ingest",
        "--date-format",
        "%d/%b/%Y",
        fixture("apache-1161.log"),
      ]),
    ]);

    // Assess
    expect(runs.map((r) => r.code)).toEqual([2, 2]);
    expect(runs[0]?.stderr).toContain("--format and --apache-format both name the format");
    expect(runs[1]?.stderr).toContain("--date-format goes with --goaccess-format");
  }, 90_000);
});
