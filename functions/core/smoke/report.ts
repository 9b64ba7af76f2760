/**
 * The verdict of `logsieve aws smoke`: one row per check, in the order they ran, and the table an operator reads.
 * A check that could not run because an earlier one failed is a failure of its own ("not run: ..."), never a pass.
 */

export interface SmokeCheck {
  /** What was checked, as the operator would say it ("marketing is denied security/ (S3)"). */
  readonly name: string;
  readonly ok: boolean;
  /** What was seen: figures, names, the error's code. Never a log line or an address. */
  readonly detail: string;
}

/** Exit code of a run: 0 only when every check passed (and at least one ran). */
export function smokeExitCode(checks: readonly SmokeCheck[]): number {
  return checks.length > 0 && checks.every((c) => c.ok) ? 0 : 1;
}

/** The pass/fail table, aligned for a terminal, with a summary line. */
export function renderSmokeTable(stack: string, checks: readonly SmokeCheck[]): string {
  const clean = (text: string) => text.replace(CONTROL_CHARACTERS, " ");
  const width = Math.max(5, ...checks.map((c) => clean(c.name).length));
  const lines = [
    `logsieve aws smoke: stack ${clean(stack)}`,
    `${"check".padEnd(width)}  result  detail`,
    `${"-".repeat(width)}  ------  ------`,
    ...checks.map(
      (c) => `${clean(c.name).padEnd(width)}  ${(c.ok ? "PASS" : "FAIL").padEnd(6)}  ${clean(c.detail)}`,
    ),
  ];
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(failed === 0 ? `${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`);
  return `${lines.join("\n")}\n`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not reach a terminal.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
