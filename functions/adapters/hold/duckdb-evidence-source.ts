import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { EvidenceExtract, EvidenceSource } from "../../core/hold/holds.ts";
import type { SourceObject } from "../../core/hold/manifest.ts";
import { addressMatcher, type HoldSelection } from "../../core/hold/selection.ts";
import { loadDuckDb } from "../local/duckdb-engine.ts";
import { TEMP_PREFIX } from "../local/object-store.ts";

/**
 * Reads the security records a hold selects from the local lake with DuckDB, and encodes them as one Parquet
 * file (rows in time order, the zone's own columns).
 *
 * Addresses are matched in JavaScript with the same parser the pipeline uses (a CIDR block needs no DuckDB
 * extension): first the distinct addresses of the window are read, then the matching rows are copied out.
 * The Parquet file is written inside the lake's `evidence/` folder under a temporary name (never to the system's
 * temp folder: it holds full addresses) and removed once its bytes are read.
 */

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

const STALE_MS = 3_600_000;

/** Temporary extracts a crashed `hold create` left behind (they hold full addresses and no listing shows them). */
async function removeStaleTemporaryFiles(evidenceDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(evidenceDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX) || !name.endsWith(".parquet")) continue;
    const path = join(evidenceDir, name);
    const info = await stat(path).catch(() => null);
    if (info !== null && Date.now() - info.mtimeMs > STALE_MS) await rm(path, { force: true });
  }
}

export class DuckDbEvidenceSource implements EvidenceSource {
  constructor(
    private readonly lakeDir: string,
    private readonly sha256: (bytes: Uint8Array) => string,
  ) {}

  async extract(selection: HoldSelection): Promise<EvidenceExtract> {
    const glob = join(this.lakeDir, "security", "*", "*", "*.parquet");
    const { DuckDBInstance } = await loadDuckDb();
    const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
    const connection = await instance.connect();
    const evidenceDir = join(this.lakeDir, "evidence");
    const temp = join(evidenceDir, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}.parquet`);
    try {
      await removeStaleTemporaryFiles(evidenceDir);
      await connection.run("SET TimeZone = 'UTC'");
      try {
        await connection.run(
          `CREATE VIEW sec AS SELECT * FROM read_parquet(${literal(glob)}, hive_partitioning = true, union_by_name = true, hive_types = {'dt': VARCHAR, 'hour': VARCHAR}, filename = true)`,
        );
      } catch (error) {
        // No security file at all: nothing can match.
        if (/No files found/i.test(String((error as Error).message)))
          return { parquet: new Uint8Array(), records: 0, sources: [] };
        throw error;
      }
      const window: string[] = [];
      if (selection.fromMs !== null) window.push(`epoch_ms(ts) >= ${Math.trunc(selection.fromMs)}`);
      if (selection.toMs !== null) window.push(`epoch_ms(ts) < ${Math.trunc(selection.toMs)}`);
      const inWindow = window.length > 0 ? window.join(" AND ") : "true";

      const distinct = await connection.runAndReadAll(`SELECT DISTINCT client_ip FROM sec WHERE ${inWindow}`);
      const matches = addressMatcher(selection);
      const addresses = distinct
        .getRowObjectsJS()
        .map((row) => row.client_ip)
        .filter((ip): ip is string => typeof ip === "string" && matches(ip));
      if (addresses.length === 0) return { parquet: new Uint8Array(), records: 0, sources: [] };

      await connection.run(
        `CREATE TEMP TABLE wanted AS SELECT unnest(string_split(${literal(addresses.join(","))}, ',')) AS ip`,
      );
      const selected = `FROM sec WHERE ${inWindow} AND client_ip IN (SELECT ip FROM wanted)`;
      await mkdir(evidenceDir, { recursive: true, mode: 0o700 });
      await connection.run(
        `COPY (SELECT * EXCLUDE (filename, dt, hour) ${selected} ORDER BY ts, input_id, line_no) TO ${literal(temp)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      const counted = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n ${selected}`);
      const files = await connection.runAndReadAll(`SELECT DISTINCT filename ${selected} ORDER BY filename`);
      const parquet = new Uint8Array(await readFile(temp));
      const sources: SourceObject[] = [];
      for (const row of files.getRowObjectsJS()) {
        const path = String(row.filename);
        const bytes = new Uint8Array(await readFile(path));
        sources.push({
          key: relative(this.lakeDir, path).split(sep).join("/"),
          sha256: this.sha256(bytes),
          size: bytes.byteLength,
        });
      }
      return { parquet, records: Number(counted.getRowObjectsJS()[0]?.n ?? 0), sources };
    } finally {
      await rm(temp, { force: true });
      connection.closeSync();
      instance.closeSync();
    }
  }
}
