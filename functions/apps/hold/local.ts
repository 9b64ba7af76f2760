import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { DuckDbEvidenceSource } from "../../adapters/hold/duckdb-evidence-source.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { VersionedLocalStore } from "../../adapters/local/versioned-local-store.ts";
import type { HoldDeps } from "../../core/hold/holds.ts";
import type { Clock } from "../../ports/clock.ts";

/**
 * Legal holds over a local lake (`logsieve hold`, and the dashboard's hold form under `logsieve serve`): evidence
 * selected from `security/` by DuckDB, copied into `evidence/` as read-only files, hashed with SHA-256.
 */

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

export function localHoldDeps(lakeDir: string, clock: Clock = systemClock): HoldDeps {
  const store = new VersionedLocalStore(resolve(lakeDir));
  return {
    store,
    source: new DuckDbEvidenceSource(store.root, sha256Hex),
    clock,
    sha256: sha256Hex,
    protection: "local-read-only",
  };
}
