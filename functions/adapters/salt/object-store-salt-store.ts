import { randomBytes } from "node:crypto";
import type { Clock } from "../../ports/clock.ts";
import type { ObjectStore } from "../../ports/object-store.ts";
import type { SaltStore } from "../../ports/salt-store.ts";

/** Salts live for 48 hours after their creation (config `retention.saltHours` may shorten it). */
export const DEFAULT_SALT_MAX_AGE_MS = 48 * 60 * 60 * 1000;
export const SALT_BYTES = 32;
const SALTS_PREFIX = "salts/";
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SALT_KEY = /^salts\/dt=(\d{4}-\d{2}-\d{2})\/salt\.json$/;

/** The object key of a day's salt. */
export function saltKey(day: string): string {
  return `${SALTS_PREFIX}dt=${day}/salt.json`;
}

interface StoredSalt {
  readonly salt: Uint8Array;
  readonly createdAt: number;
}

export interface SaltStoreOptions {
  /** Age at which a salt is treated as destroyed when read. Default 48 hours. */
  readonly maxAgeMs?: number;
}

/**
 * Daily salts kept as objects (`salts/dt=YYYY-MM-DD/salt.json`: `{"createdAt": <epoch ms>, "salt": "<base64>"}`),
 * the same on S3 and on the local disk (where the file is 0600).
 *
 * - A day's salt is created on first need with `putIfAbsent`: of two ingesters racing to create it, one writes and
 *   the other reads the winner's salt, so both compute the same visitor ids.
 * - Salts are cached in memory per day (this is called for every line), and the cache honours expiry: a cached
 *   salt is dropped the moment it is `maxAgeMs` old. Returned arrays are shared: do not modify them.
 * - A salt found expired when read (late logs for a day whose salt is 48 h old, before the sweeper ran) is
 *   treated as destroyed: it is deleted and a new salt is created. That day's visitors seen before and after then
 *   have different ids and are counted twice in its unique-visitor figures; the alternative, keeping an old salt
 *   alive, would break the promise that ids cannot be recomputed after 48 hours.
 *   Two ingesters meeting the same expired salt at the same instant could each replace it; the store has no
 *   conditional delete, so this is narrowed (the salt is re-read before deleting) but not closed.
 * - `destroyExpired` deletes every salt created `maxAgeMs` or longer ago, and forgets it in the cache.
 */
export class ObjectStoreSaltStore implements SaltStore {
  private readonly cache = new Map<string, StoredSalt>();
  private readonly inFlight = new Map<string, Promise<StoredSalt>>();
  private readonly maxAgeMs: number;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n)),
    options: SaltStoreOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_SALT_MAX_AGE_MS;
    if (!(this.maxAgeMs > 0)) throw new RangeError("salt maxAgeMs must be positive");
  }

  async saltForDay(day: string): Promise<Uint8Array> {
    const cached = this.cache.get(day);
    if (cached !== undefined) {
      if (this.clock.now() - cached.createdAt < this.maxAgeMs) return cached.salt;
      this.cache.delete(day);
    }
    if (!DAY.test(day)) throw new Error(`a salt day is YYYY-MM-DD, got ${JSON.stringify(day.slice(0, 20))}`);
    let pending = this.inFlight.get(day);
    if (pending === undefined) {
      pending = this.load(day).finally(() => this.inFlight.delete(day));
      this.inFlight.set(day, pending);
    }
    return (await pending).salt;
  }

  async destroyExpired(maxAgeMs: number): Promise<string[]> {
    const now = this.clock.now();
    const destroyed: string[] = [];
    const keys: { key: string; day: string; lastModified: number }[] = [];
    for await (const info of this.store.list(SALTS_PREFIX)) {
      const match = SALT_KEY.exec(info.key);
      if (match?.[1] !== undefined)
        keys.push({ key: info.key, day: match[1], lastModified: info.lastModified });
    }
    for (const { key, day, lastModified } of keys) {
      const body = await this.store.get(key);
      if (body === null) continue;
      // A salt that cannot be read is aged by its object's time: it is destroyed rather than kept forever.
      const createdAt = parseSalt(body)?.createdAt ?? lastModified;
      if (now - createdAt >= maxAgeMs) {
        await this.store.delete(key);
        this.cache.delete(day);
        destroyed.push(day);
      }
    }
    for (const [day, entry] of this.cache) if (now - entry.createdAt >= maxAgeMs) this.cache.delete(day);
    return destroyed.sort();
  }

  /** Reads the day's salt, replacing it if expired, creating it if absent; caches the result. */
  private async load(day: string): Promise<StoredSalt> {
    const key = saltKey(day);
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.read(key);
      if (existing !== null) {
        if (this.clock.now() - existing.createdAt < this.maxAgeMs) return this.remember(day, existing);
        // Expired: destroyed, as if the sweeper had run. Re-read first in case another ingester just replaced it.
        const again = await this.read(key);
        if (again !== null && this.clock.now() - again.createdAt < this.maxAgeMs)
          return this.remember(day, again);
        await this.store.delete(key);
      }
      const fresh: StoredSalt = { salt: this.newSalt(), createdAt: this.clock.now() };
      if (await this.store.putIfAbsent(key, encodeSalt(fresh), { contentType: "application/json" })) {
        return this.remember(day, fresh);
      }
      // Another ingester created it first: loop and read theirs.
    }
    throw new Error(`could not agree on a salt for ${day} (key ${key}) after 5 attempts`);
  }

  private async read(key: string): Promise<StoredSalt | null> {
    const body = await this.store.get(key);
    if (body === null) return null;
    const parsed = parseSalt(body);
    if (parsed === null)
      throw new Error(`the salt object ${key} is not a valid salt; delete it to start a new one`);
    return parsed;
  }

  private remember(day: string, entry: StoredSalt): StoredSalt {
    this.cache.set(day, entry);
    return entry;
  }

  private newSalt(): Uint8Array {
    const salt = this.random(SALT_BYTES);
    if (salt.length !== SALT_BYTES)
      throw new Error(`the random source gave ${salt.length} bytes, not ${SALT_BYTES}`);
    return salt;
  }
}

function encodeSalt(entry: StoredSalt): Uint8Array {
  const json = JSON.stringify({
    createdAt: entry.createdAt,
    salt: Buffer.from(entry.salt).toString("base64"),
  });
  return new TextEncoder().encode(json);
}

function parseSalt(body: Uint8Array): StoredSalt | null {
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body)) as unknown;
    if (typeof value !== "object" || value === null) return null;
    const { createdAt, salt } = value as { createdAt?: unknown; salt?: unknown };
    if (typeof createdAt !== "number" || !Number.isFinite(createdAt) || typeof salt !== "string") return null;
    const bytes = new Uint8Array(Buffer.from(salt, "base64"));
    if (bytes.length !== SALT_BYTES) return null;
    return { salt: bytes, createdAt };
  } catch {
    return null;
  }
}
