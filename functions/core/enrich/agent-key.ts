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
const VERSION_AFTER_SLASH = /\/(\d+)((?:\.\d+)*)(?![\w.-])/g;

/** An app build number, not a version: six digits or more. */
const MIN_BUILD_DIGITS = 6;

function zeros(digits: string): string {
  return "0".repeat(digits.length);
}

function maskVersion(_whole: string, first: string, rest: string): string {
  const head = first.length >= MIN_BUILD_DIGITS ? zeros(first) : first;
  if (rest.length === 0) return `/${head}`;
  // rest is `.minor.build.patch...`: keep the minor, mask the components after it.
  const afterMinor = rest.indexOf(".", 1);
  if (afterMinor < 0) return `/${head}${rest}`;
  return `/${head}${rest.slice(0, afterMinor)}${rest.slice(afterMinor).replace(/\d/g, "0")}`;
}

/** The agent with its build numbers masked (see above); the agent itself when it has none. */
export function agentKey(userAgent: string): string {
  return userAgent.replace(VERSION_AFTER_SLASH, maskVersion);
}

/** The pattern above, for the ReDoS audit in the tests. */
export const AGENT_KEY_PATTERN: RegExp = VERSION_AFTER_SLASH;
