import { randomBytes } from "node:crypto";
import { ParquetEncoder } from "../adapters/parquet/parquet-encoder.ts";
import {
  ADDRESS_LOOKUP_SCHEMA,
  type AddressLookupDeps,
  type AddressLookupStore,
} from "../core/security/address-lookup.ts";

/** Address lookups (core/security/address-lookup.ts) over a store: Parquet in this thread, 128 random bits per id. */
export function addressLookupDeps(store: AddressLookupStore): AddressLookupDeps {
  const encoder = new ParquetEncoder();
  return {
    store,
    encode: (rows) => encoder.encode(ADDRESS_LOOKUP_SCHEMA, rows),
    randomId: () => randomBytes(16).toString("hex"),
  };
}
