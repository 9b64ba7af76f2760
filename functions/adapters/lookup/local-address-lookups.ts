import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ADDRESS_LOOKUP_PREFIX, type AddressLookupStore } from "../../core/security/address-lookup.ts";

/** A lookup older than this was left by a crash (a query runs for seconds): removed when the next one is written. */
const STALE_MS = 3_600_000;

/**
 * Address lookups in the local lake's `lookups/` folder, readable by the owner only, removed with their folder
 * when the query ends (the same SQL reads them on DuckDB as on Athena).
 */
export class LocalAddressLookupStore implements AddressLookupStore {
  /**
   * `exclusive` runs a removal when no query is running (the DuckDB engine's own queue): a query that listed the
   * lookups' files while another lookup was in place must not see that file vanish under it.
   */
  constructor(
    private readonly lakeDir: string,
    private readonly exclusive: <T>(work: () => Promise<T>) => Promise<T> = (work) => work(),
    private readonly now: () => number = Date.now,
  ) {}

  async write(key: string, body: Uint8Array): Promise<string | null> {
    await this.removeStale();
    const path = join(this.lakeDir, ...key.split("/"));
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // Written under another name and renamed: a query running meanwhile sees the whole file or none.
    await writeFile(`${path}.partial`, body, { mode: 0o600 });
    await rename(`${path}.partial`, path);
    return null;
  }

  async remove(key: string): Promise<void> {
    await this.exclusive(() =>
      rm(dirname(join(this.lakeDir, ...key.split("/"))), { recursive: true, force: true }),
    );
  }

  private async removeStale(): Promise<void> {
    const root = join(this.lakeDir, ADDRESS_LOOKUP_PREFIX);
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      const info = await stat(join(root, name)).catch(() => null);
      if (info !== null && this.now() - info.mtimeMs > STALE_MS) {
        await this.exclusive(() => rm(join(root, name), { recursive: true, force: true }));
      }
    }
  }
}
