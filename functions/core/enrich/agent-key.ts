/**
 * The key the enricher classifies a user agent by: the agent with its build numbers masked.
 *
 * Agents differ mostly in digits nothing we store depends on: `Chrome/120.0.6099.129` and `Chrome/120.0.6099.71` are
 * one browser family, one major version, one OS and device class, one bot verdict. Classifying (ua-parser-js's regex
 * cascades, isbot, our bot rules: ≈ 19 µs) once per masked key instead of once per agent turns a log with 130,000
 * distinct agents into one with a few thousand shapes (docs/BENCHMARKS.md, issue 20, third round).
 *
 * What is masked, in a version right after a `/` (`Name/1.2.3.4`, ended by the end of the agent or a character that
 * cannot continue a token: not a letter, digit, `_`, `-` or `.`):
 * - every component from the third on (`120.0.6099.129` → `120.0.0000.000`): a build and patch number;
 * - a first component of six digits or more (`FBBV/123456789` → `FBBV/000000000`): an app's build number, never a
 *   browser's major version (a major is at most five digits, user-agent.ts `majorVersion`).
 * Each masked digit becomes `0`, so the agent keeps its length and every digit stays a digit: a pattern that counts
 * digits (`\d{4}`, our bot rules' "five digits in a name") sees the same thing. The major and minor versions, every
 * name and every digit outside such a version (device models such as `SM-G998B`, `Android 14`) are kept.
 *
 * Why the answer is the same: the classifiers read a browser's major (the first component) and the product names,
 * and none of their patterns has a literal digit past a version's second component. That is checked, not assumed:
 * test/unit/core/enrich/agent-key.test.ts classifies every agent of the bot and browser corpora in test/fixtures
 * both ways, and scripts/validate-agent-key.ts does the same over the full corpora in ../shared/validation/bots/.
 */
/** An app build number, not a version: six digits or more. */
const MIN_BUILD_DIGITS = 6;

const ZEROS = "0".repeat(64);

function zeros(count: number): string {
  return count <= ZEROS.length ? ZEROS.slice(0, count) : "0".repeat(count);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A character that may continue a token, so a version followed by it is not one (`\w`, `.` or `-`). */
function continuesToken(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45;
}

/**
 * Where each component of the version being read starts and ends, after the first: scratch reused from version to
 * version (an array made per version was most of what agentKey allocated, ≈ 230 MiB on `agents`' main thread).
 */
let componentBounds: Int32Array = new Int32Array(64);

function widerBounds(): Int32Array {
  const wider = new Int32Array(componentBounds.length * 2);
  wider.set(componentBounds);
  componentBounds = wider;
  return wider;
}

/**
 * The agent with its build numbers masked (see above); the agent itself when it has none. Written as one scan
 * rather than a regex replace (`/\/(\d+)((?:\.\d+)*)(?![\w.-])/g`, which it equals: the unit test checks both
 * on every corpus agent): it runs on every miss of the enricher's answers by agent number, 40 % of the lines of
 * the `agents` bench log.
 */
export function agentKey(userAgent: string): string {
  const length = userAgent.length;
  let out = "";
  let copied = 0;
  let at = userAgent.indexOf("/");
  while (at >= 0 && at + 1 < length) {
    let end = at + 1;
    if (!isDigit(userAgent.charCodeAt(end))) {
      at = userAgent.indexOf("/", end);
      continue;
    }
    // The version: digits, then `.digits` as often as they come.
    while (end < length && isDigit(userAgent.charCodeAt(end))) end++;
    const firstEnd = end;
    let bounds = componentBounds;
    let boundCount = 0;
    while (end + 1 < length && userAgent.charCodeAt(end) === 46 && isDigit(userAgent.charCodeAt(end + 1))) {
      const from = end + 1;
      end = from;
      while (end < length && isDigit(userAgent.charCodeAt(end))) end++;
      if (boundCount === bounds.length) bounds = widerBounds();
      bounds[boundCount++] = from;
      bounds[boundCount++] = end;
    }
    if (end < length && continuesToken(userAgent.charCodeAt(end))) {
      at = userAgent.indexOf("/", end);
      continue;
    }
    if (firstEnd - (at + 1) >= MIN_BUILD_DIGITS) {
      out += userAgent.slice(copied, at + 1) + zeros(firstEnd - (at + 1));
      copied = firstEnd;
    }
    // bounds holds [from, end) of each component after the first: keep the minor, mask the rest.
    for (let k = 2; k < boundCount; k += 2) {
      const from = bounds[k] as number;
      const to = bounds[k + 1] as number;
      out += userAgent.slice(copied, from) + zeros(to - from);
      copied = to;
    }
    at = userAgent.indexOf("/", end);
  }
  return copied === 0 ? userAgent : out + userAgent.slice(copied);
}
