import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { AccessRecord, LineRejection, ParseResult } from "../../../../functions/core/types.ts";

const DIR = new URL("../../../fixtures/logs/", import.meta.url);

/** The lines of a fixture under test/fixtures/logs (no terminators; a final empty line dropped). */
export function fixtureLines(name: string): string[] {
  const lines = readFileSync(new URL(name, DIR), "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** The record of an accepted line; fails the test with the rejection otherwise. */
export function recordOf(result: ParseResult): AccessRecord {
  if (result.ok !== true) expect.fail(`expected an accepted line, got ${JSON.stringify(result)}`);
  return result.record;
}

/** The rejection of a rejected line; fails the test otherwise. */
export function rejectionOf(result: ParseResult): LineRejection {
  if (result.ok !== false) expect.fail(`expected a rejected line, got ${JSON.stringify(result)}`);
  return result.rejection;
}

/** Epoch ms of an ISO timestamp, computed by the platform (independent of the parsers' hand-written code). */
export function iso(s: string): number {
  return Date.parse(s);
}
