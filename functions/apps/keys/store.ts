import { createHash, randomBytes } from "node:crypto";
import type { DashboardRole } from "../../core/dashboard/roles.ts";
import {
  ApiKeyError,
  type ApiKeyRecord,
  isKeyShaped,
  KEY_PREFIX,
  KEYS_PREFIX,
  keyIdOf,
  keyObjectKey,
  parseKeyRecord,
} from "../../core/keys/api-keys.ts";
import type { ObjectStore } from "../../ports/object-store.ts";

/**
 * Stats API keys over an ObjectStore (the local lake, or the analytics bucket on AWS): created with 32 random bytes,
 * stored as the SHA-256 of the key, looked up by the hash of the key presented (core/keys/api-keys.ts).
 */
export class KeyStore {
  constructor(private readonly store: ObjectStore) {}

  async create(request: {
    site: string;
    role: DashboardRole;
    name: string | null;
    who: string;
    nowMs: number;
  }): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
    const hash = sha256(key);
    const record: ApiKeyRecord = {
      version: 1,
      id: keyIdOf(hash),
      site: request.site,
      role: request.role,
      name: request.name,
      createdAt: new Date(request.nowMs).toISOString(),
      createdBy: request.who,
      revokedAt: null,
      revokedBy: null,
    };
    const written = await this.store.putIfAbsent(keyObjectKey(hash), encode(record), {
      contentType: "application/json",
    });
    // 256 random bits: a collision is not a thing that happens; refuse rather than overwrite if it did.
    if (!written) throw new ApiKeyError("a key with this hash exists already; run the command again");
    return { key, record };
  }

  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    for await (const info of this.store.list(KEYS_PREFIX)) {
      if (!info.key.endsWith(".json")) continue;
      const body = await this.store.get(info.key);
      if (body !== null) records.push(parseKeyRecord(Buffer.from(body).toString("utf8")));
    }
    return records.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  /** Marks the key revoked (its record stays, saying who revoked it and when). */
  async revoke(id: string, who: string, nowMs: number): Promise<ApiKeyRecord> {
    if (!/^[0-9a-f]{12}$/.test(id))
      throw new ApiKeyError("a key id is the 12 hex digits `logsieve keys list` shows");
    for await (const info of this.store.list(`${KEYS_PREFIX}${id}`)) {
      const body = await this.store.get(info.key);
      if (body === null) continue;
      const record = parseKeyRecord(Buffer.from(body).toString("utf8"));
      if (record.revokedAt !== null) return record;
      const revoked: ApiKeyRecord = { ...record, revokedAt: new Date(nowMs).toISOString(), revokedBy: who };
      await this.store.put(info.key, encode(revoked), { contentType: "application/json" });
      return revoked;
    }
    throw new ApiKeyError(`no key has the id ${id}`);
  }

  /** The record of a presented key, or null (not key-shaped, unknown, or revoked). */
  async verify(presented: string): Promise<ApiKeyRecord | null> {
    if (!isKeyShaped(presented)) return null;
    const body = await this.store.get(keyObjectKey(sha256(presented)));
    if (body === null) return null;
    const record = parseKeyRecord(Buffer.from(body).toString("utf8"));
    return record.revokedAt === null ? record : null;
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function encode(record: ApiKeyRecord): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`);
}
