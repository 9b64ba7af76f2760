import type { EventRow } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 9: the event goes to `events/`, partitioned by the UTC day of the access; the day is remembered as one that
 * aggregation must recompute.
 */
export function writeEvent(run: IngestRun, day: string, event: EventRow): void {
  run.write(run.eventWriter, eventPartition(run, day), event);
  run.events++;
}

/** The partition of the day's events (remembered: consecutive lines nearly always share their day). */
export function eventPartition(run: IngestRun, day: string): string {
  if (day !== run.eventDay) {
    run.eventDay = day;
    run.eventPartition = `events/dt=${day}/`;
    run.eventDays.add(day);
  }
  return run.eventPartition;
}
