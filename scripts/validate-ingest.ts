/**
 * Ingests every log under ../shared/validation/logs/ (plain, gzip and bzip2) through the real local pipeline (one
 * temporary lake) and checks that every line is accounted for: accepted + rejected + skipped = the lines in the
 * file, counted independently here (the compressed files decompressed with the Debian tools, not with logsieve's
 * own reader). Also checks that the Apache error log is rejected line by line and that line 8899 of the elastic log
 * (a UA without its closing quote) is accepted, as GoAccess accepts it.
 *
 *   npx tsx scripts/validate-ingest.ts [../shared/validation/logs]
 */

import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { openLocal } from "../functions/apps/ingest/local.ts";
import { validationDir } from "./validation-dir.ts";

const root = process.argv[2] ?? join(validationDir(), "logs");

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (!entry.name.includes("LICENSE") && !entry.name.endsWith(".md")) out.push(path);
  }
  return out.sort();
}

/** Lines as a person counts them: split on LF, a final line without LF counts, a trailing empty one not. */
async function countLines(path: string): Promise<number> {
  let bytes: Uint8Array = await readFile(path);
  // Decompressed by the command-line tools, so the count does not depend on the reader it checks.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = execFileSync("gzip", ["-dc", path]);
  else if (bytes[0] === 0x42 && bytes[1] === 0x5a && bytes[2] === 0x68)
    bytes = execFileSync("bzip2", ["-dc", path]);
  else if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd)
    bytes = execFileSync("zstd", ["-dc", path]);
  let lines = 0;
  for (const b of bytes) if (b === 10) lines++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) lines++;
  return lines;
}

const lake = await mkdtemp(join(tmpdir(), "logsieve-validate-"));
let failures = 0;
try {
  const logsieve = await openLocal({ lakeDir: lake, config: { sites: ["example.com"] } });
  const rows: string[][] = [["file", "format", "from", "lines", "accepted", "rejected", "skipped", "check"]];
  for (const file of await filesUnder(root)) {
    const name = relative(root, file);
    const expected = await countLines(file);
    const s = await logsieve.ingestFile(file);
    const skipped = s.skipped.blank + s.skipped.directive;
    const accounted = s.accepted + s.rejected.total + skipped;
    let check = accounted === expected ? "ok" : `MISMATCH: ${accounted} of ${expected}`;
    if (name.startsWith("negative/") && s.accepted > 0)
      check = `FAIL: ${s.accepted} error-log lines accepted`;
    if (check !== "ok") failures++;
    const reasons = Object.entries(s.rejected.byReason)
      .map(([r, n]) => `${r}:${n}`)
      .join(" ");
    rows.push([
      name,
      s.format ?? "-",
      s.detection === null
        ? s.formatFrom
        : `${s.formatFrom} ${s.detection.matched}/${s.detection.considered}`,
      String(expected),
      String(s.accepted),
      `${s.rejected.total} ${reasons}`.trim(),
      String(skipped),
      check,
    ]);
  }

  // Line 8899 of the elastic log must be in security/ (accepted).
  let found8899 = false;
  for await (const info of logsieve.store.list("security/")) {
    const body = await logsieve.store.get(info.key);
    if (body === null) continue;
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    const records = await parquetReadObjects({ file, columns: ["format", "line_no", "user_agent"] });
    if (records.some((r) => Number(r.line_no) === 8899 && String(r.user_agent).includes("Googlebot")))
      found8899 = true;
  }
  if (!found8899) failures++;

  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  "));
  console.log(`\nelastic line 8899 (UA without closing quote) accepted: ${found8899 ? "yes" : "NO"}`);
  console.log(failures === 0 ? "\nall lines accounted for" : `\n${failures} problem(s)`);
} finally {
  await rm(lake, { recursive: true, force: true });
}
process.exitCode = failures === 0 ? 0 : 1;
