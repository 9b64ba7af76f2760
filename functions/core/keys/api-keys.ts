import { DASHBOARD_ROLES, type DashboardRole } from "../dashboard/roles.ts";

/**
 * Stats API keys (`logsieve keys create|list|revoke`; docs/STATS-API.md "Keys"). A key is `lsk_` and 43 characters
 * of base64url (32 random bytes): high-entropy, so storing its SHA-256 is enough — no salt or slow hash is needed
 * against guessing, and the stored record cannot be turned back into a usable key. A key belongs to one site and
 * one role (the dashboard's roles; every role may read the marketing statistics the Stats API answers).
 *
 * The records live in the lake as `keys/<sha256 hex>.json` (the local folder, or `keys/` of the analytics bucket on
 * AWS), found by the hash of the presented key without listing anything. A revoked key keeps its record (who and
 * when) and is refused. Pure: hashing and randomness are the caller's (apps/keys/store.ts).
 */

export const KEY_PREFIX = "lsk_";
export const KEYS_PREFIX = "keys/";
const KEY_SHAPE = /^lsk_[A-Za-z0-9_-]{43}$/;
const HASH_SHAPE = /^[0-9a-f]{64}$/;

export interface ApiKeyRecord {
  readonly version: 1;
  /** The first 12 hex digits of the key's SHA-256: what `keys list` shows and `keys revoke` takes. */
  readonly id: string;
  readonly site: string;
  readonly role: DashboardRole;
  /** The operator's label for the key (which tool uses it). */
  readonly name: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
}

/** True for text shaped like a key (checked before anything is hashed or looked up). */
export function isKeyShaped(text: string): boolean {
  return KEY_SHAPE.test(text);
}

export function keyObjectKey(sha256Hex: string): string {
  if (!HASH_SHAPE.test(sha256Hex)) throw new Error("a key's hash is 64 lower-case hex digits");
  return `${KEYS_PREFIX}${sha256Hex}.json`;
}

export function keyIdOf(sha256Hex: string): string {
  return sha256Hex.slice(0, 12);
}

export class ApiKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiKeyError";
  }
}

export function parseRole(role: string): DashboardRole {
  if (!(DASHBOARD_ROLES as readonly string[]).includes(role)) {
    throw new ApiKeyError(`a key's role is one of: ${DASHBOARD_ROLES.join(", ")}`);
  }
  return role as DashboardRole;
}

/** A stored record, checked field by field (a hand-edited or foreign object is refused, never half-trusted). */
export function parseKeyRecord(text: string): ApiKeyRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiKeyError("a key record is not JSON");
  }
  const r = value as Record<string, unknown>;
  const str = (v: unknown) => typeof v === "string";
  const strOrNull = (v: unknown) => v === null || typeof v === "string";
  if (
    typeof value !== "object" ||
    value === null ||
    r.version !== 1 ||
    !str(r.id) ||
    !str(r.site) ||
    !str(r.role) ||
    !(DASHBOARD_ROLES as readonly unknown[]).includes(r.role) ||
    !strOrNull(r.name) ||
    !str(r.createdAt) ||
    !str(r.createdBy) ||
    !strOrNull(r.revokedAt) ||
    !strOrNull(r.revokedBy)
  ) {
    throw new ApiKeyError("a key record has missing or wrong fields");
  }
  return value as ApiKeyRecord;
}
