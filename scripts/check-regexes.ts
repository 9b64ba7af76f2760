/**
 * `npx tsx scripts/check-regexes.ts`: the regular expressions of the dependencies that run on what visitors send,
 * checked once with recheck (too slow for the suite; test/reliability/regex.test.ts checks our own):
 *
 * - isbot's pattern (`getPattern()`, used by functions/core/enrich/bots.ts on user agents of at most
 *   MAX_BROWSER_UA_LENGTH characters; longer ones are `malformed` bots without it), with recheck's default `auto`
 *   checker (it picks fuzzing for a pattern this size) and a fixed seed; when recheck finds an attack, the attack is
 *   timed at that length and at 1 MiB;
 * - every regex literal in ua-parser-js 1.x's source (run on user agents it first cuts to 500 characters).
 *
 * Prints one line per pattern that is not safe, then totals with the time taken. ua-parser-js cuts every user agent
 * to 500 characters before matching, so for each pattern recheck calls vulnerable, its attack string (cut the same
 * way, and also the 500 characters that end it) is timed against the pattern in V8, and the worst is printed.
 * Figures: docs/RELIABILITY.md.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { getPattern } from "isbot";
import { check, type Diagnostics } from "recheck";
import { parseSync, Visitor } from "vite";
import { MAX_BROWSER_UA_LENGTH } from "../functions/core/enrich/bots.ts";

function describe(d: Diagnostics): string {
  if (d.status === "vulnerable") return `vulnerable (${d.complexity.summary}), attack ${d.attack.pattern}`;
  if (d.status === "unknown") return `unknown (${d.error.kind})`;
  return `safe (${d.checker})`;
}

const started = performance.now();
const isbotPattern = getPattern();
const isbotVerdict = await check(isbotPattern.source, isbotPattern.flags, {
  randomSeed: 42,
  timeout: 300_000,
});
console.log(
  `isbot ${isbotPattern.source.length}-character pattern: ${describe(isbotVerdict)} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

/** Best of three, milliseconds. */
function timeTest(regex: RegExp, input: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const t = performance.now();
    regex.test(input);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

if (isbotVerdict.status === "vulnerable") {
  const attack = String(new Function(`return ${isbotVerdict.attack.pattern};`)());
  const unit = attack.slice(1, 7);
  const long = `H${unit.repeat(Math.floor((1 << 20) / unit.length))}${attack.slice(-4)}`;
  console.log(
    `isbot attack cut to ${MAX_BROWSER_UA_LENGTH} characters (the longest agent logsieve gives isbot): ${timeTest(isbotPattern, attack.slice(0, MAX_BROWSER_UA_LENGTH)).toFixed(2)} ms; ` +
      `grown to 1 MiB (never given to isbot): ${timeTest(isbotPattern, long).toFixed(1)} ms`,
  );
}

const require = createRequire(import.meta.url);
const uaParserPath = require.resolve("ua-parser-js");
const source = readFileSync(uaParserPath, "utf8");
const patterns: { source: string; flags: string }[] = [];
new Visitor({
  Literal(node: { regex?: { pattern: string; flags: string } }) {
    if (node.regex !== undefined) patterns.push({ source: node.regex.pattern, flags: node.regex.flags });
  },
} as never).visit(parseSync(uaParserPath, source).program);
const uaStarted = performance.now();
const verdicts = await Promise.all(
  patterns.map(async (p) => ({
    ...p,
    d: await check(p.source, p.flags, { randomSeed: 42, timeout: 60_000 }),
  })),
);
const counts: Record<string, number> = {};
for (const v of verdicts) {
  counts[v.d.status] = (counts[v.d.status] ?? 0) + 1;
  if (v.d.status !== "safe") console.log(`ua-parser-js /${v.source}/${v.flags}: ${describe(v.d)}`);
}
console.log(
  `ua-parser-js: ${patterns.length} regex literals, ${JSON.stringify(counts)} in ${((performance.now() - uaStarted) / 1000).toFixed(1)} s`,
);

/** ua-parser-js 1.x: `UA_MAX_LENGTH = 500`, applied before any pattern runs. */
const UA_MAX_LENGTH = 500;
let worst = { ms: 0, pattern: "" };
for (const v of verdicts) {
  if (v.d.status !== "vulnerable") continue;
  // recheck writes the attack as a JavaScript expression ('x'.repeat(n) + 'y').
  const attack = String(new Function(`return ${v.d.attack.pattern};`)());
  const regex = new RegExp(v.source, v.flags);
  for (const input of [attack.slice(0, UA_MAX_LENGTH), attack.slice(-UA_MAX_LENGTH)]) {
    const best = timeTest(regex, input);
    if (best > worst.ms) worst = { ms: best, pattern: `/${v.source}/${v.flags}` };
  }
}
console.log(
  `ua-parser-js, vulnerable patterns on their attack strings cut to ${UA_MAX_LENGTH} characters: worst ${worst.ms.toFixed(2)} ms (${worst.pattern})`,
);
