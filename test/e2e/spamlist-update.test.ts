import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHIPPED_LIST_FILE, SpamListError, updateSpamList } from "../../functions/apps/spamlist/update.ts";
import { renderSpamListModule } from "../../functions/core/spam/list-source.ts";
import { REFERRER_SPAM_LIST } from "../../functions/core/spam/referrer-spam-list.ts";

/** `logsieve spamlist update`: reads a list, checks it, writes the module; refuses anything that is not the list. */

const NOW = Date.UTC(2026, 11, 1, 9, 0, 0);
/** The shipped hosts plus one new, minus one: a plausible next version of the list. */
const NEXT = [...REFERRER_SPAM_LIST.hosts.filter((h) => h !== "semalt.net"), "new-spam.example"];

let dir: string;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-spamlist-"));
  server = createServer((request, response) => {
    if (request.url === "/spammers.txt") response.writeHead(200).end(`${NEXT.join("\n")}\n`);
    else response.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe("logsieve spamlist update", () => {
  it("the shipped copy is exactly what the command writes (nobody edited it by hand)", () => {
    const shipped = readFileSync(SHIPPED_LIST_FILE, "utf8");
    expect(renderSpamListModule(REFERRER_SPAM_LIST, REFERRER_SPAM_LIST.hosts)).toBe(shipped);
  });

  it("fetches the list over HTTP and writes a module holding its hosts, the day and the checksum", async () => {
    // Prepare
    const out = join(dir, "from-http.ts");
    // Act
    const result = await updateSpamList({
      from: `${baseUrl}/spammers.txt`,
      out,
      nowMs: NOW,
      revision: "abc123",
    });
    // Assess
    expect(result).toMatchObject({
      hosts: NEXT.length,
      added: ["new-spam.example"],
      removed: ["semalt.net"],
    });
    const written = (await import(out)) as { REFERRER_SPAM_LIST: typeof REFERRER_SPAM_LIST };
    expect(written.REFERRER_SPAM_LIST).toMatchObject({
      readFrom: `${baseUrl}/spammers.txt`,
      retrieved: "2026-12-01",
      revision: "abc123",
    });
    expect(written.REFERRER_SPAM_LIST.hosts).toEqual([...NEXT].sort());
  });

  it("reads a downloaded file, recording only its name", async () => {
    // Prepare
    const file = join(dir, "spammers.txt");
    await writeFile(file, NEXT.join("\n"));
    const out = join(dir, "from-file.ts");
    // Act
    await updateSpamList({ from: file, out, nowMs: NOW });
    // Assess
    const text = await readFile(out, "utf8");
    expect(text).toContain('readFrom: "file spammers.txt"');
    expect(text).toContain('"new-spam.example",');
  });

  it("writes nothing for a list with a line that is no host name, a cut-short list, or a failed download", async () => {
    // Prepare
    const bad = join(dir, "bad.txt");
    await writeFile(bad, `${NEXT.join("\n")}\n<html>oops</html>\n`);
    const short = join(dir, "short.txt");
    await writeFile(short, NEXT.slice(0, 20).join("\n"));
    const out = join(dir, "never.ts");
    // Act / Assess
    await expect(updateSpamList({ from: bad, out })).rejects.toThrow(/line \d+: not a host name/);
    await expect(updateSpamList({ from: short, out })).rejects.toThrow(/20 hosts, fewer than 500/);
    await expect(updateSpamList({ from: `${baseUrl}/missing.txt`, out })).rejects.toThrow(/answered 404/);
    await expect(updateSpamList({ from: join(dir, "absent.txt"), out })).rejects.toBeInstanceOf(
      SpamListError,
    );
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });
});
