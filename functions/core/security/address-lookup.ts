import type { TableSchema } from "../../ports/table-encoder.ts";

/**
 * Looking up one person's records without writing their address into a query.
 *
 * Athena keeps the text and the execution parameters of every query in the workgroup's history for 45 days, past
 * the seven days the security zone promises. So a query never names an address: the caller writes the addresses it
 * looks for into a small object of the security zone's bucket, `lookups/lookup=<random id>/addresses.parquet`
 * (same bucket, same key, same readers as the records themselves), runs the query with the random id as its only
 * parameter (`client_ip IN (SELECT client_ip FROM security_lookups WHERE lookup = ?)`), and deletes the object
 * (every version) as soon as the query has ended. The history then holds an id that points at nothing. Results may
 * hold addresses; they live in the results bucket, which keeps them one day.
 *
 * Why not a keyed hash of the address (a column written at ingest, the key rotated and destroyed with the window):
 * while the key exists, the hash in the history plus the key give the address back by trying all 2^32 IPv4
 * addresses; the lookup object gives nothing back once deleted, needs no key management and no new column in
 * `security/`, and works for a network (a legal hold by CIDR block selects the addresses first, then looks them up).
 * A lookup left behind by a crash is removed by the bucket's one-day lifecycle rule on `lookups/`.
 */

export const ADDRESS_LOOKUP_PREFIX = "lookups/";
/** The Glue table (Athena) and DuckDB view over the lookup objects. */
export const ADDRESS_LOOKUP_TABLE = "security_lookups";
/** The partition column that names one lookup. */
export const ADDRESS_LOOKUP_PARTITION = "lookup";

export const ADDRESS_LOOKUP_SCHEMA: TableSchema = {
  name: ADDRESS_LOOKUP_TABLE,
  columns: [{ name: "client_ip", type: "string", nullable: false }],
};

/** A lookup id: 32 lower-case hex characters (128 random bits, drawn by the caller's wiring). */
export const LOOKUP_ID_PATTERN = /^[0-9a-f]{32}$/;

export function lookupPrefix(id: string): string {
  if (!LOOKUP_ID_PATTERN.test(id)) throw new Error("a lookup id is 32 lower-case hex characters");
  return `${ADDRESS_LOOKUP_PREFIX}${ADDRESS_LOOKUP_PARTITION}=${id}/`;
}

export function lookupObjectKey(id: string): string {
  return `${lookupPrefix(id)}addresses.parquet`;
}

/** A query file whose parameter has this name looks up addresses: callers give `ip` (or a list) instead. */
export const ADDRESS_LOOKUP_PARAM = "lookup";

/** Where lookup objects are written and removed: the raw bucket on AWS, the lake folder locally. */
export interface AddressLookupStore {
  /** Writes the lookup object; returns what {@link remove} needs to delete exactly it (the S3 version id). */
  write(key: string, body: Uint8Array): Promise<string | null>;
  /** Deletes the object for good (on a versioned bucket: its version, not just a delete marker on top). */
  remove(key: string, version: string | null): Promise<void>;
}

export interface AddressLookupDeps {
  readonly store: AddressLookupStore;
  /** The Parquet bytes of rows of {@link ADDRESS_LOOKUP_SCHEMA}. */
  encode(rows: readonly { client_ip: string }[]): Uint8Array;
  /** 32 random lower-case hex characters (node:crypto in the wiring). */
  randomId(): string;
}

/**
 * Runs `work` with a lookup of `addresses` in place, and removes the lookup when `work` ends, whether it
 * succeeded or failed. A failed removal is reported (the lifecycle rule removes the object within two days).
 */
export async function withAddressLookup<T>(
  deps: AddressLookupDeps,
  addresses: readonly string[],
  work: (lookupId: string) => Promise<T>,
): Promise<T> {
  if (addresses.length === 0) throw new Error("an address lookup needs at least one address");
  const id = deps.randomId();
  const key = lookupObjectKey(id);
  const version = await deps.store.write(key, deps.encode(addresses.map((client_ip) => ({ client_ip }))));
  let result: T;
  try {
    result = await work(id);
  } catch (error) {
    await deps.store.remove(key, version);
    throw error;
  }
  await deps.store.remove(key, version);
  return result;
}

/** The address parameter callers give to a query that looks addresses up (the dashboard's and the CLI's `ip`). */
export const ADDRESS_PARAM = "ip";

/**
 * Runs a query given by named parameters: when its file declares {@link ADDRESS_LOOKUP_PARAM}, the caller's `ip`
 * is written to a lookup for the time of the query and the query gets the lookup's id in its place; any other
 * query runs with the parameters as they are. Throws `missing` when the lookup query was given no `ip`.
 */
export async function runWithAddressLookup<T>(
  parameterNames: readonly string[],
  named: Readonly<Record<string, string>>,
  deps: AddressLookupDeps,
  run: (named: Readonly<Record<string, string>>) => Promise<T>,
  missing: () => Error,
): Promise<T> {
  if (!parameterNames.includes(ADDRESS_LOOKUP_PARAM)) return run(named);
  const { [ADDRESS_PARAM]: address, ...rest } = named;
  if (address === undefined || address === "") throw missing();
  return withAddressLookup(deps, [address], (id) => run({ ...rest, [ADDRESS_LOOKUP_PARAM]: id }));
}
