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
