import type { ConsentDecision } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/** True when the event may carry a visitor id, which needs the salt of the access's day. */
export function needsSalt(decision: ConsentDecision): boolean {
  return decision.tier !== "anonymous";
}

/**
 * Step 7 (statistics and marketing tiers only): the salt of the access's UTC day, when this input has fetched it
 * already; undefined otherwise (then {@link fetchDaySalt}). Split in two so the pipeline awaits only for the first
 * line of a new day, not for every line.
 */
export function knownDaySalt(run: IngestRun, day: string): Uint8Array | undefined {
  if (day === run.saltDay && run.daySalt !== null) return run.daySalt;
  const salt = run.saltsByDay.get(day);
  // Stored whether known or not (not known: no day, until fetchDaySalt stores it). The first line of a run takes
  // this path with a salt not known yet; were the stores only for a known one, they would first run on a later
  // change of day, after V8 optimized the pipeline's loop around this, and throw that code away (in each thread).
  run.saltDay = salt === undefined ? "" : day;
  run.daySalt = salt ?? null;
  return salt;
}

/** The salt of a day this input has not needed before: from the salt store, which creates it on first need. */
export async function fetchDaySalt(run: IngestRun, day: string): Promise<Uint8Array> {
  const salt = await run.salts.saltForDay(day);
  run.saltsByDay.set(day, salt);
  run.saltDay = day;
  run.daySalt = salt;
  return salt;
}
