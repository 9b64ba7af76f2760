import { createHash } from "node:crypto";
import { ObjectStoreSaltStore } from "../../functions/adapters/salt/object-store-salt-store.ts";
import type { LogsieveConfig } from "../../functions/core/config.ts";
import type { Enricher } from "../../functions/core/enrich/enrich.ts";
import { splitLineBatches } from "../../functions/core/ingest/lines.ts";
import { type IngestSummary, ingest } from "../../functions/core/ingest/pipeline.ts";
import type { Clock } from "../../functions/ports/clock.ts";
import type { ObjectStore } from "../../functions/ports/object-store.ts";
import type { TableEncoder } from "../../functions/ports/table-encoder.ts";
import type { Fault, FaultKind, FaultyStore } from "./faulty-store.ts";

/**
 * Random fault schedules and the retry loop that SQS redelivery amounts to: an ingest that fails is run again as a
 * whole, with the same input id, until it succeeds. Shared by the in-memory and the local-folder fault tests.
 */

/** A schedule: the faults and how the retries behave (fresh sandbox or warm one, zombie writes landing). */
export interface Schedule {
  readonly faults: readonly Fault[];
  /** Per retry: true when the retry runs in the same (warm) sandbox, reusing the salt store and its cache. */
  readonly warm: readonly boolean[];
  /** When the writes of a timed-out attempt land: never, before the retry starts, or after it succeeded. */
  readonly zombies: "never" | "before-retry" | "after-success";
  /** The input is delivered once more after it succeeded (an SQS duplicate). */
  readonly duplicateDelivery: boolean;
}

const KINDS: readonly { kind: FaultKind; weight: number }[] = [
  { kind: "fail", weight: 0.35 },
  { kind: "throttle", weight: 0.25 },
  { kind: "landed", weight: 0.25 },
  { kind: "hang", weight: 0.15 },
];

function pickKind(random: () => number): FaultKind {
  let roll = random();
  for (const { kind, weight } of KINDS) {
    if (roll < weight) return kind;
    roll -= weight;
  }
  return "fail";
}

/**
 * 1–2 faults at random operation numbers over about 1.5 runs' worth of operations (so retries are hit too),
 * throttling bursts of 1–6 operations, list failures before or after a few items.
 */
export function randomSchedule(random: () => number, operationsPerRun: number): Schedule {
  const count = 1 + Math.floor(random() * 2);
  const faults = new Map<number, Fault>();
  for (let i = 0; i < count; i++) {
    const at = Math.floor(random() * operationsPerRun * 1.5);
    const kind = pickKind(random);
    faults.set(at, {
      at,
      kind,
      ...(kind === "throttle" ? { count: 1 + Math.floor(random() * 6) } : {}),
      afterItems: Math.floor(random() * 3),
    });
  }
  const zombieRoll = random();
  return {
    faults: [...faults.values()].sort((a, b) => a.at - b.at),
    warm: Array.from({ length: 16 }, () => random() < 0.5),
    zombies: zombieRoll < 0.34 ? "never" : zombieRoll < 0.67 ? "before-retry" : "after-success",
    duplicateDelivery: random() < 0.25,
  };
}

export interface IngestEnvironment {
  readonly config: LogsieveConfig;
  readonly enrich: Enricher;
  readonly encoder: TableEncoder;
  readonly clock: Clock;
}

export interface RetriedIngest {
  readonly summary: IngestSummary;
  /** Invocations, the successful one and any duplicate delivery included. */
  readonly attempts: number;
  readonly failedAttempts: number;
  readonly timeouts: number;
  /** Messages of the errors the failed attempts ended with (for the "no IP in an error" check). */
  readonly errors: readonly string[];
  /** What readers saw right after each failed attempt: key → SHA-256, for the zones given. */
  readonly afterFailures: readonly Map<string, string>[];
  /** Zombie writes that landed. */
  readonly zombiesLanded: number;
}

/** The text of an error and its causes, for checks that no address leaked into it. */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(typeof current === "string" ? current : JSON.stringify(current));
      break;
    }
  }
  return parts.join(" <- ");
}

/** Every object under the given zones as key → SHA-256 of its bytes. */
export async function digestZones(
  store: ObjectStore,
  zones: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const zone of zones) {
    for await (const info of store.list(`${zone}/`)) {
      const body = await store.get(info.key);
      if (body === null) continue;
      out.set(info.key, createHash("sha256").update(body).digest("hex"));
    }
  }
  return out;
}

async function* chunksOf(bytes: Uint8Array, size = 16 * 1024): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/**
 * Ingests `input` through `store` (a FaultyStore over the lake) until an attempt succeeds, like SQS redelivering a
 * message whose invocation failed or timed out: the same input id every time; a timed-out sandbox is never reused;
 * otherwise a retry runs warm or cold as the schedule says. `saltRandom` gives each new salt its bytes.
 */
export async function ingestWithRetries(options: {
  readonly store: FaultyStore;
  readonly input: Uint8Array;
  readonly inputId: string;
  readonly env: IngestEnvironment;
  readonly schedule: Schedule;
  readonly saltRandom: (n: number) => Uint8Array;
  readonly zones: readonly string[];
  readonly maxAttempts?: number;
  /** Runs after each failed attempt, before the retry (e.g. an aggregation job that reads the half-written lake). */
  readonly afterFailure?: (attempt: number) => Promise<void>;
}): Promise<RetriedIngest> {
  const { store, env, schedule } = options;
  const maxAttempts = options.maxAttempts ?? schedule.faults.length * 8 + 4;
  const newSalts = () =>
    new ObjectStoreSaltStore(store, env.clock, options.saltRandom, {
      maxAgeMs: env.config.retention.saltHours * 3_600_000,
    });
  let salts = newSalts();
  const errors: string[] = [];
  const afterFailures: Map<string, string>[] = [];
  let failedAttempts = 0;
  let timeouts = 0;
  let zombiesLanded = 0;
  let lastTimedOut = false;
  let summary: IngestSummary | undefined;
  let attempts = 0;
  const deliveries = schedule.duplicateDelivery ? 2 : 1;
  for (let delivery = 0; delivery < deliveries; delivery++) {
    summary = undefined;
    while (summary === undefined) {
      if (attempts >= maxAttempts) throw new Error(`no success after ${attempts} attempts`);
      const warm = attempts > 0 && !lastTimedOut && (schedule.warm[attempts % schedule.warm.length] ?? false);
      if (!warm) salts = newSalts();
      store.reset();
      attempts++;
      const run = ingest(
        {
          inputId: options.inputId,
          lines: splitLineBatches(chunksOf(options.input), env.config.ingest.maxLineBytes),
        },
        { config: env.config, enrich: env.enrich, salts, store, encoder: env.encoder, clock: env.clock },
      ).then(
        (s) => ({ ok: true as const, summary: s, timedOut: false }),
        (error: unknown) => ({ ok: false as const, error, timedOut: false }),
      );
      // A hung call never settles: the platform's timeout ends the invocation, which is then abandoned.
      const outcome = await Promise.race([
        run,
        store.stalled.then(() => ({
          ok: false as const,
          error: new Error("Task timed out (invocation abandoned)"),
          timedOut: true,
        })),
      ]);
      if (outcome.ok) {
        summary = outcome.summary;
        lastTimedOut = false;
        break;
      }
      failedAttempts++;
      lastTimedOut = outcome.timedOut;
      if (lastTimedOut) timeouts++;
      errors.push(errorText(outcome.error));
      if (schedule.zombies === "before-retry") {
        zombiesLanded += store.hungWrites.length;
        await store.releaseHung(true);
      } else if (schedule.zombies === "never") {
        await store.releaseHung(false);
      }
      afterFailures.push(await digestZones(store.inner, options.zones));
      await options.afterFailure?.(attempts);
    }
  }
  if (schedule.zombies === "after-success") {
    zombiesLanded += store.hungWrites.length;
    await store.releaseHung(true);
  }
  if (summary === undefined) throw new Error("unreachable: no summary");
  return { summary, attempts, failedAttempts, timeouts, errors, afterFailures, zombiesLanded };
}

/** A plain ingest without faults: the oracle's run. */
export async function ingestOnce(options: {
  readonly store: ObjectStore;
  readonly input: Uint8Array;
  readonly inputId: string;
  readonly env: IngestEnvironment;
  readonly saltRandom?: (n: number) => Uint8Array;
}): Promise<IngestSummary> {
  const { env } = options;
  const salts = new ObjectStoreSaltStore(options.store, env.clock, options.saltRandom, {
    maxAgeMs: env.config.retention.saltHours * 3_600_000,
  });
  return ingest(
    {
      inputId: options.inputId,
      lines: splitLineBatches(chunksOf(options.input), env.config.ingest.maxLineBytes),
    },
    {
      config: env.config,
      enrich: env.enrich,
      salts,
      store: options.store,
      encoder: env.encoder,
      clock: env.clock,
    },
  );
}

/**
 * A cheap encoder for fault runs: one JSON object per line, 64-bit integers as `"<digits>n"` strings. Same rows,
 * same bytes (what the TableEncoder port asks), without a JSON replacer on every value.
 */
export const cheapJsonLinesEncoder: TableEncoder = {
  extension: "jsonl",
  encode(schema, rows) {
    const int64 = schema.columns.filter((c) => c.type === "int64").map((c) => c.name);
    const lines = rows.map((row) => {
      if (!int64.some((name) => typeof row[name] === "bigint")) return JSON.stringify(row);
      const copy: Record<string, unknown> = { ...row };
      for (const name of int64) if (typeof copy[name] === "bigint") copy[name] = `${copy[name]}n`;
      return JSON.stringify(copy);
    });
    return new TextEncoder().encode(lines.join("\n"));
  },
};
