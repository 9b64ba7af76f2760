/** The only source of "now" for the core: injected so tests and replays are deterministic. */
export interface Clock {
  /** UTC epoch milliseconds. */
  now(): number;
}

/** A clock fixed at one instant, or moved by hand: for tests and for `--now` on the command line. */
export class FixedClock implements Clock {
  constructor(private instant: number) {}
  now(): number {
    return this.instant;
  }
  set(instant: number): void {
    this.instant = instant;
  }
  advance(ms: number): void {
    this.instant += ms;
  }
}
