import type { ObjectStore } from "../../ports/object-store.ts";
import { utcDay } from "../zones.ts";
import { redactAddresses } from "./redact.ts";

/**
 * The audit trail of legal holds: one JSON object per event under `evidence/audit/holds/dt=YYYY-MM-DD/`, written
 * with `putIfAbsent`, so an event, once written, is never overwritten (append-only on S3 and on disk alike).
 * The sweeper's run records live next to it in `evidence/audit/sweeps/`.
 *
 * An audit event holds ids, counts, keys, names of people and reasons, never an IP address: the selection is
 * named by its kind only (its value stays in the manifest, in the evidence zone, which the event binds by its
 * SHA-256), and reasons are passed through {@link redactAddresses}.
 */

export const AUDIT_PREFIX = "evidence/audit/";
export const HOLD_AUDIT_PREFIX = "evidence/audit/holds/";
export const SWEEP_AUDIT_PREFIX = "evidence/audit/sweeps/";

export type AuditEvent =
  | {
      readonly event: "hold-created";
      readonly at: string;
      readonly by: string;
      readonly incident: string;
      readonly reason: string;
      readonly selection: {
        readonly kind: "ip" | "prefix";
        readonly from: string | null;
        readonly to: string | null;
      };
      readonly records: number;
      readonly objects: number;
      readonly manifestSha256: string;
    }
  | {
      readonly event: "hold-released";
      readonly at: string;
      readonly by: string;
      readonly incident: string;
      readonly reason: string;
      readonly versionsReleased: number;
    }
  | {
      readonly event: "evidence-swept";
      readonly at: string;
      readonly by: string;
      readonly incident: string;
      readonly versionsDeleted: number;
      readonly keys: readonly string[];
    };

export type AuditEventName = AuditEvent["event"];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `20261122T023250.123Z`: sorts like the instant, safe in a key. */
export function compactInstant(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:]/g, "");
}

/** Makes an event safe for the trail: reasons without addresses. */
function sanitize(event: AuditEvent): AuditEvent {
  if ("reason" in event) return { ...event, reason: redactAddresses(event.reason) };
  return event;
}

/**
 * Appends one event; returns its key. `atMs` is the event's instant (from the injected clock). Two events in the
 * same millisecond get consecutive sequence numbers.
 */
export async function appendAudit(store: ObjectStore, atMs: number, event: AuditEvent): Promise<string> {
  const body = encoder.encode(`${JSON.stringify(sanitize(event))}\n`);
  const base = `${HOLD_AUDIT_PREFIX}dt=${utcDay(atMs)}/${compactInstant(atMs)}-${event.event}-${event.incident}`;
  for (let seq = 0; seq < 1000; seq++) {
    const key = `${base}-${String(seq).padStart(3, "0")}.json`;
    if (await store.putIfAbsent(key, body, { contentType: "application/json" })) return key;
  }
  throw new Error(`audit trail: could not find a free key for ${event.event} of incident ${event.incident}`);
}

/** Every hold event in key order (= time order), optionally of one incident. Unreadable lines are reported. */
export async function readAudit(
  store: ObjectStore,
  filter: { readonly incident?: string } = {},
): Promise<{ events: AuditEvent[]; unreadable: string[] }> {
  const events: AuditEvent[] = [];
  const unreadable: string[] = [];
  for await (const info of store.list(HOLD_AUDIT_PREFIX)) {
    if (filter.incident !== undefined && !info.key.includes(`-${filter.incident}-`)) continue;
    const bytes = await store.get(info.key);
    if (bytes === null) continue;
    try {
      const event = JSON.parse(decoder.decode(bytes)) as AuditEvent;
      if (filter.incident !== undefined && event.incident !== filter.incident) continue;
      events.push(event);
    } catch {
      unreadable.push(info.key);
    }
  }
  return { events, unreadable };
}

/** Writes one sweep run record (the sweep report: counts and keys); returns its key. */
export async function appendSweepRecord(store: ObjectStore, atMs: number, record: unknown): Promise<string> {
  const body = encoder.encode(`${JSON.stringify(record)}\n`);
  const base = `${SWEEP_AUDIT_PREFIX}dt=${utcDay(atMs)}/${compactInstant(atMs)}-sweep`;
  for (let seq = 0; seq < 1000; seq++) {
    const key = `${base}-${String(seq).padStart(3, "0")}.json`;
    if (await store.putIfAbsent(key, body, { contentType: "application/json" })) return key;
  }
  throw new Error("audit trail: could not find a free key for a sweep record");
}
