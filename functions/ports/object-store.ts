/**
 * Object storage as the lake sees it: S3, an S3-compatible endpoint, or a local folder.
 * Keys are `/`-separated and relative to the lake root (e.g. `events/dt=2026-11-20/abc-0001.parquet`).
 */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** When the object (this version) was written, epoch ms. */
  readonly lastModified: number;
}

export interface PutOptions {
  readonly contentType?: string;
}

export interface ObjectStore {
  /** Writes the whole object at once: readers see the old object or the new one, never a part. */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<void>;
  /**
   * Writes the object only if no object has that key; true if this call wrote it. Used where two writers
   * may race to create the same thing (a day's salt) and must end up agreeing on one.
   */
  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean>;
  /** The object's bytes, or null when there is no such object. */
  get(key: string): Promise<Uint8Array | null>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
}
