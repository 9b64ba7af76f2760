/**
 * Daily salts for visitor ids. A day's salt is 32 random bytes, created on first need and destroyed
 * 48 hours after its creation, so visitor ids cannot be linked across days nor recomputed later.
 */
export interface SaltStore {
  /**
   * The salt for a UTC day (`YYYY-MM-DD`), created now if it does not exist.
   * A day whose salt was already destroyed gets a new one: its visitors may then be counted twice.
   */
  saltForDay(day: string): Promise<Uint8Array>;
  /** Destroys every salt created `maxAgeMs` or longer before now. Returns the days destroyed. */
  destroyExpired(maxAgeMs: number): Promise<string[]>;
}
