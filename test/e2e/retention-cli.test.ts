import { mkdtemp, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerAbuseCommand } from "../../functions/apps/abuse/command.ts";
import { registerHoldCommand } from "../../functions/apps/hold/command.ts";
import { openLocal } from "../../functions/apps/ingest/local.ts";
import { registerPolicyCommand } from "../../functions/apps/policy/command.ts";
import { registerExpireCommand } from "../../functions/apps/sweep/command.ts";
import { UsageError } from "../../functions/cli/output.ts";
import { FixedClock } from "../../functions/ports/clock.ts";

/**
 * The commands of the retention issue, run in-process as `logsieve` would run them: `hold` and `expire` print
 * counts, keys, ids and reasons without addresses; `abuse` is the one that prints addresses; `policy` follows
 * `--config`. The tests run in order on one lake, as an operator would: hold, sweep, review, policy.
 */

const NOW = Date.UTC(2026, 11, 1, 12);
const ATTACKER = "198.51.100.77";
const VISITOR = "2001:db8:4:5::17";

function logLine(ip: string, at: number, method: string, path: string, status: number): string {
  const d = new Date(at);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  const ts = `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
  return `${ip} - - [${ts}] "${method} ${path} HTTP/1.1" ${status} 512 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"`;
}

async function run(args: readonly string[]): Promise<string> {
  const program = new Command()
    .option("--lake <dir>", "lake", ".logsieve/lake")
    .option("--config <file>", "config")
    .exitOverride();
  registerExpireCommand(program);
  registerHoldCommand(program);
  registerAbuseCommand(program);
  registerPolicyCommand(program);
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk));
    return true;
  });
  try {
    await program.parseAsync(["node", "logsieve", ...args]);
  } finally {
    spy.mockRestore();
  }
  return chunks.join("");
}

describe("logsieve expire, hold, abuse, policy", () => {
  let dir: string;
  let lake: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-cli-retention-"));
    lake = join(dir, "lake");
    const lines: string[] = [];
    for (let i = 0; i < 30; i++)
      lines.push(logLine(ATTACKER, NOW - 2 * 3_600_000 + i * 1000, "POST", "/wp-login.php", 200));
    for (let i = 0; i < 5; i++)
      lines.push(logLine(VISITOR, NOW - 9 * 86_400_000 + i * 1000, "GET", "/", 200));
    for (let i = 0; i < 5; i++)
      lines.push(logLine(VISITOR, NOW - 3_600_000 + i * 1000, "GET", "/about", 200));
    await writeFile(join(dir, "access.log"), `${lines.join("\n")}\n`);
    const logsieve = await openLocal({
      lakeDir: lake,
      config: { sites: ["example.com"] },
      clock: new FixedClock(NOW),
    });
    await logsieve.ingestFile(join(dir, "access.log"));
    // The files were written "now" by the fake clock's reckoning, not by the machine's (the sweeper also bounds an
    // object by its write time, so a file dated before the accesses it holds would look old).
    for (const entry of await readdir(lake, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) await utimes(join(entry.parentPath, entry.name), NOW / 1000, NOW / 1000);
    }
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("places, shows and releases a hold without printing the address it selects", async () => {
    // Prepare
    const lakeArgs = ["--lake", lake];

    // Act
    const created = await run([
      ...lakeArgs,
      "hold",
      "create",
      "--incident",
      "INC-9",
      "--ip",
      ATTACKER,
      "--reason",
      `stuffing from ${ATTACKER}`,
    ]);
    const shown = await run([...lakeArgs, "hold", "show", "INC-9", "--json"]);
    const listed = await run([...lakeArgs, "hold", "list"]);
    const mode = (await stat(join(lake, "evidence", "incident=INC-9", "records.parquet"))).mode & 0o777;
    const released = await run([...lakeArgs, "hold", "release", "INC-9", "--reason", "closed"]);

    // Assess
    expect(created).toContain("placed legal hold INC-9: 30 record(s) by ip");
    expect(
      JSON.parse(shown).objects.map((o: { legalHold: string; intact: boolean | null }) => [
        o.legalHold,
        o.intact,
      ]),
    ).toEqual([
      ["ON", null],
      ["ON", true],
    ]);
    expect(listed).toContain("INC-9  active");
    expect(mode).toBe(0o400);
    expect(released).toContain("released INC-9: 2 object(s) unlocked");
    for (const output of [created, shown, listed, released]) expect(output).not.toContain(ATTACKER);
  });

  it("reports a dry run and a sweep as counts and keys, without addresses", async () => {
    // Prepare
    const lakeArgs = ["--lake", lake];

    // Act
    const dry = JSON.parse(
      await run([...lakeArgs, "expire", "--now", new Date(NOW).toISOString(), "--dry-run", "--json"]),
    );
    const real = await run([...lakeArgs, "expire", "--now", new Date(NOW).toISOString()]);

    // Assess: the visitor's accesses of nine days ago go; the attacker's of two hours ago stay
    expect(dry.dryRun).toBe(true);
    expect(dry.deleted.security).toBe(1);
    expect(
      dry.keys.deleted.some((k: { key: string }) => k.key.startsWith("security/dt=2026-11-22/hour=12/")),
    ).toBe(true);
    expect(real).toMatch(/security\s+168 h\s+1\s+0\s+2/);
    expect(real).toContain("released evidence removed: INC-9");
    for (const output of [JSON.stringify(dry), real]) {
      expect(output).not.toContain(ATTACKER);
      expect(output).not.toContain(VISITOR);
    }
  });

  it("prints the addresses the security queries find, which is what abuse is for", async () => {
    // Prepare / Act
    const text = await run(["--lake", lake, "abuse", "--since", "24h", "--now", new Date(NOW).toISOString()]);
    const json = JSON.parse(
      await run(["--lake", lake, "abuse", "--since", "24h", "--now", new Date(NOW).toISOString(), "--json"]),
    );

    // Assess
    expect(text).toContain("## Top talkers");
    expect(text).toContain(ATTACKER);
    expect(json.sections["top-talkers"][0]).toMatchObject({ client_ip: ATTACKER, requests: 30 });
    expect(json.sections.scanners.map((r: { client_ip: string }) => r.client_ip)).toContain(ATTACKER);
    expect(json.sections["login-brute-force"].map((r: { client_ip: string }) => r.client_ip)).toContain(
      ATTACKER,
    );
  });

  it("generates the policy from --config, and refuses mistakes as usage errors", async () => {
    // Prepare
    const config = join(dir, "config.json");
    await writeFile(
      config,
      JSON.stringify({ anonymize: { ipv4Prefix: 16 }, retention: { securityHours: 72 } }),
    );

    // Act
    const de = await run(["--config", config, "policy"]);
    const en = await run(["--config", config, "policy", "--lang", "en", "--format", "html"]);
    const badLang = run(["policy", "--lang", "fr"]);
    const both = run([
      "--lake",
      lake,
      "hold",
      "create",
      "--incident",
      "X",
      "--ip",
      ATTACKER,
      "--prefix",
      "198.51.100.0/24",
      "--reason",
      "r",
    ]);

    // Assess
    expect(de).toContain("/16");
    expect(de).toContain("72 Stunden (3 Tage) ab dem Zugriff");
    expect(en).toContain("<td>72 hours (3 days) from the access</td>");
    await expect(badLang).rejects.toBeInstanceOf(UsageError);
    await expect(both).rejects.toThrow("give exactly one of --ip and --prefix");
  });
});
