import type { Clock } from "../../ports/clock.ts";

/** The wall clock, for production use. The core never reads it directly; the wiring hands it in. */
export const systemClock: Clock = { now: () => Date.now() };
