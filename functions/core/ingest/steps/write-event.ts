import type { EventRow } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 9: the event goes to `events/`, partitioned by the UTC day of the access; the day is remembered as one that
 * aggregation must recompute.
 */
export function writeEvent(run: IngestRun, day: string, event: EventRow): void {
  if (day !== run.eventDay) {
    run.eventDay = day;
    run.eventPartition = `events/dt=${day}/`;
    run.eventDays.add(day);
  }
  run.write(run.eventWriter, run.eventPartition, event);
  run.events++;
}
