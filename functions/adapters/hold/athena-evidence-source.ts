import { type QueryCatalog, requireQuery, resolveQueryParams } from "../../core/aggregate/catalog.ts";
import { athenaUnloadToParquet } from "../../core/aggregate/statements.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import type { EvidenceExtract, EvidenceSource } from "../../core/hold/holds.ts";
import type { SourceObject } from "../../core/hold/manifest.ts";
import { addressMatcher, type HoldSelection } from "../../core/hold/selection.ts";
import {
  ADDRESS_LOOKUP_PARAM,
  type AddressLookupDeps,
  withAddressLookup,
} from "../../core/security/address-lookup.ts";
import type { ObjectStore } from "../../ports/object-store.ts";
import type { AthenaQueryEngine } from "../aws/athena-engine.ts";

/**
 * The security records a legal hold selects, on AWS: Athena (in the security workgroup, with the SecurityLead's
 * credentials) writes them with UNLOAD straight into the incident's `records/` prefix of the raw bucket, as Parquet;
 * the hold then places a legal hold on each object it wrote (core/hold/holds.ts).
 *
 * No address is ever in a query's text or parameters (Athena keeps both 45 days): the addresses are looked up
 * (core/security/address-lookup.ts). A hold by network first reads the window's distinct addresses (the results
 * hold addresses, as results may) and keeps those inside the block. The manifest's sources are the objects of the
 * security partitions (day and hour) that hold matching records, each with its SHA-256 as it is now.
 */

export interface AthenaEvidenceSourceOptions {
  /** An engine in the security workgroup, signed as the person placing the hold. */
  readonly engine: Pick<AthenaQueryEngine, "query" | "execute">;
  readonly catalog: QueryCatalog;
  readonly config: LogsieveConfig;
  readonly lookups: AddressLookupDeps;
  /** The raw bucket's name (for the UNLOAD target) and the same bucket as a store (listing, hashing). */
  readonly rawBucket: string;
  readonly raw: ObjectStore;
  readonly sha256: (bytes: Uint8Array) => string;
}

/** `YYYY-MM-DD HH:MM:SS.mmm`: a timestamp literal both Athena and DuckDB cast from a string. */
function timestampText(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

export class AthenaEvidenceSource implements EvidenceSource {
  constructor(private readonly options: AthenaEvidenceSourceOptions) {}

  async extract(selection: HoldSelection, into: string): Promise<EvidenceExtract> {
    const { engine, catalog, config } = this.options;
    const window: Record<string, string> = {
      from_day:
        selection.fromMs === null ? "1970-01-01" : new Date(selection.fromMs).toISOString().slice(0, 10),
      to_day: selection.toMs === null ? "9999-12-31" : new Date(selection.toMs).toISOString().slice(0, 10),
      from_ts: timestampText(selection.fromMs ?? 0),
      to_ts: selection.toMs === null ? "9999-12-31 23:59:59.999" : timestampText(selection.toMs),
    };
    const bind = (id: string, named: Record<string, string>) =>
      resolveQueryParams(requireQuery(catalog, id), named, config);

    let addresses: string[];
    if (selection.kind === "ip") {
      addresses = [selection.value];
    } else {
      const distinct = await engine.query(
        requireQuery(catalog, "hold.evidenceAddresses").select,
        bind("hold.evidenceAddresses", window),
      );
      const inBlock = addressMatcher(selection);
      addresses = distinct.rows
        .map((row) => row.client_ip)
        .filter((ip): ip is string => typeof ip === "string" && inBlock(ip));
    }
    if (addresses.length === 0) return { records: 0, written: [], sources: [] };

    return withAddressLookup(this.options.lookups, addresses, async (lookup) => {
      const named = { ...window, [ADDRESS_LOOKUP_PARAM]: lookup };
      const partitions = await engine.query(
        requireQuery(catalog, "hold.evidencePartitions").select,
        bind("hold.evidencePartitions", named),
      );
      const records = partitions.rows.reduce((sum, row) => sum + Number(row.records ?? 0), 0);
      if (records === 0) return { records: 0, written: [], sources: [] };
      await engine.execute(
        athenaUnloadToParquet(
          requireQuery(catalog, "hold.evidenceRecords").select,
          `s3://${this.options.rawBucket}/${into}`,
        ),
        bind("hold.evidenceRecords", named),
      );
      const written: string[] = [];
      for await (const info of this.options.raw.list(into)) written.push(info.key);
      return { records, written, sources: await this.sourcesOf(partitions.rows) };
    });
  }

  private async sourcesOf(partitions: readonly Readonly<Record<string, unknown>>[]): Promise<SourceObject[]> {
    const sources: SourceObject[] = [];
    for (const row of partitions) {
      const prefix = `security/dt=${String(row.dt)}/hour=${String(row.hour)}/`;
      for await (const info of this.options.raw.list(prefix)) {
        const bytes = await this.options.raw.get(info.key);
        if (bytes === null) continue; // swept meanwhile: its records are in the evidence already
        sources.push({ key: info.key, sha256: this.options.sha256(bytes), size: bytes.byteLength });
      }
    }
    return sources;
  }
}
