import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { check, type Diagnostics } from "recheck";
import { parseSync, Visitor } from "vite";
import { describe, expect, it } from "vitest";

/**
 * Every regular expression in functions/** checked for catastrophic backtracking with recheck.
 *
 * How they are found: every .ts and .js file under functions/ is parsed (oxc's parser, which vitest's vite brings,
 * through `parseSync`), and the syntax tree is searched for regex literals and for `RegExp(...)` / `new RegExp(...)`
 * calls. A RegExp built from anything but string literals fails the test, since its pattern cannot be checked here.
 * Scanning the sources, not importing the modules, finds the patterns inside functions as well.
 *
 * How they are checked: recheck's automaton checker first, with bounded repetitions expanded (`{1,64}` is then
 * judged exactly instead of being sampled); for a pattern that checker cannot read (look-behind, look-ahead) its
 * fuzzing checker, with a fixed seed and its time limits off (it then judges by steps, not by the clock), so the
 * verdict does not change from run to run or with the machine's load. A pattern must be `safe`,
 * unless it is reviewed below: each reviewed pattern names its input and why that input cannot make it slow. A
 * reviewed pattern that has become safe, or is gone, must be removed from the list.
 *
 * isbot's own pattern (a dependency, used by functions/core/enrich/bots.ts) is not checked here: recheck needs about
 * 7 s for it. scripts/check-regexes.ts checks it (and ua-parser-js's patterns) once; docs/RELIABILITY.md has the
 * result.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const FUNCTIONS = join(ROOT, "functions");

interface Found {
  readonly file: string;
  readonly line: number;
  readonly source: string;
  readonly flags: string;
}

interface Reviewed {
  readonly file: string;
  readonly source: string;
  readonly input: string;
}

/** Patterns recheck calls vulnerable (quadratic) whose input is short and not chosen by an attacker. */
const REVIEWED: readonly Reviewed[] = [
  {
    file: "functions/adapters/aws/athena-engine.ts",
    source: "\\(.*$",
    input:
      "Athena's column type names from GetQueryResults metadata (e.g. decimal(10,2)): the service's, tens of characters",
  },
  {
    file: "functions/core/aggregate/query-file.ts",
    source: "\\s*,\\s*",
    input:
      "the `-- params:` header line of our own query files in queries/ (reviewed code, under 200 characters)",
  },
  {
    file: "functions/core/retention/partition.ts",
    source: "\\.(\\d{4}-\\d{2}-\\d{2})-(\\d{2})\\.[^/]*$",
    input:
      "the last segment of an object key from a listing: S3 keys are at most 1,024 bytes (about a million steps at worst)",
  },
  {
    file: "functions/apps/dashboard/ui/auth.ts",
    source: "=+$",
    input: "base64 of 32 random bytes the page made itself (44 characters), in the viewer's browser",
  },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|js|mjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

interface Node {
  readonly type: string;
  readonly start: number;
  readonly regex?: { pattern: string; flags: string };
  readonly callee?: Node & { name?: string };
  readonly arguments?: readonly (Node & { value?: unknown })[];
}

/** Regex literals and RegExp constructions of one file; constructions from non-literals are `dynamic`. */
function regexesOf(path: string): { found: Found[]; dynamic: string[] } {
  const text = readFileSync(path, "utf8");
  const file = relative(ROOT, path);
  const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;
  const found: Found[] = [];
  const dynamic: string[] = [];
  const parsed = parseSync(path, text);
  if (parsed.errors.length > 0) throw new Error(`${file} does not parse: ${parsed.errors[0]?.message}`);
  const construction = (node: Node) => {
    if (node.callee?.type !== "Identifier" || node.callee.name !== "RegExp") return;
    const [pattern, flags] = node.arguments ?? [];
    const literal = (n: (Node & { value?: unknown }) | undefined) =>
      n === undefined || (n.type === "Literal" && typeof n.value === "string");
    if (pattern !== undefined && literal(pattern) && literal(flags)) {
      found.push({
        file,
        line: lineOf(node.start),
        source: String(pattern.value),
        flags: flags === undefined ? "" : String(flags.value),
      });
    } else {
      dynamic.push(`${file}:${lineOf(node.start)}`);
    }
  };
  new Visitor({
    Literal(node: Node) {
      if (node.regex !== undefined) {
        found.push({ file, line: lineOf(node.start), source: node.regex.pattern, flags: node.regex.flags });
      }
    },
    NewExpression: construction,
    CallExpression: construction,
  } as never).visit(parsed.program);
  return { found, dynamic };
}

/** recheck's verdict: the exact automaton checker where it applies, else seeded fuzzing. */
async function verdict(source: string, flags: string): Promise<Diagnostics> {
  const exact = await check(source, flags, {
    checker: "automaton",
    maxRepeatCount: 2000,
    maxNFASize: 1_000_000,
    maxPatternSize: 100_000,
    // No clock: the size limits above bound the work. A timeout would send a pattern to the fuzzer, which can
    // miss what the automaton proves (a reviewed pattern would then count as gone), and only on a loaded machine.
    timeout: null,
  });
  if (exact.status !== "unknown") return exact;
  // Fuzzing judged by steps, never by the clock: with recheck's default time limits a loaded machine turns a
  // linear pattern into a "vulnerable" one now and then, and an overall timeout into "unknown".
  return check(source, flags, {
    checker: "fuzz",
    randomSeed: 42,
    attackTimeout: null,
    incubationTimeout: null,
    recallTimeout: -1,
    timeout: null,
  });
}

describe("regular expressions", () => {
  it("none in functions/** backtracks catastrophically (recheck), apart from the reviewed ones", async () => {
    // Prepare
    const scans = sourceFiles(FUNCTIONS).map(regexesOf);
    const found = scans.flatMap((s) => s.found);
    const dynamic = scans.flatMap((s) => s.dynamic);
    const started = performance.now();

    // Act
    const results = await Promise.all(
      found.map(async (r) => ({ ...r, diagnostics: await verdict(r.source, r.flags) })),
    );
    const seconds = (performance.now() - started) / 1000;

    // Assess
    const isReviewed = (r: Found) => REVIEWED.some((v) => v.file === r.file && v.source === r.source);
    const unsafe = results
      .filter((r) => r.diagnostics.status !== "safe" && !isReviewed(r))
      .map((r) => {
        const d = r.diagnostics;
        const why =
          d.status === "vulnerable" ? `${d.complexity.summary}, attack ${d.attack.pattern}` : d.status;
        return `${r.file}:${r.line} /${r.source}/${r.flags}: ${why}`;
      });
    // A reviewed entry whose file exists must still be there and still be flagged (else remove it from the list).
    const stale = REVIEWED.filter((v) => existsSync(join(ROOT, v.file))).filter(
      (v) =>
        !results.some((r) => r.file === v.file && r.source === v.source && r.diagnostics.status !== "safe"),
    );
    const byStatus = results.reduce<Record<string, number>>((acc, r) => {
      const key = `${r.diagnostics.status}/${r.diagnostics.checker ?? "none"}`;
      acc[key] = (acc[key] ?? 0) + 1;
      return acc;
    }, {});
    console.info(
      `regexes: ${found.length} in ${scans.length} files, ${JSON.stringify(byStatus)}, ${seconds.toFixed(1)} s`,
    );
    expect(found.length).toBeGreaterThan(100);
    expect(dynamic).toEqual([]);
    expect(unsafe).toEqual([]);
    expect(stale.map((v) => `${v.file} /${v.source}/`)).toEqual([]);
  }, 180_000);
});
