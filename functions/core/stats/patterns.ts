/**
 * The regular expressions the filtered queries run (`regexp_like` in queries/stats.*.sql: RE2 on DuckDB, Joni on
 * Athena — Joni backtracks). Every filter becomes patterns here:
 *
 * - `is` / `contains` (and their negations) become escaped literals, anchored for `is`: `^/blog$`, `/blog`;
 *   `case_sensitive: false` prefixes `(?i)`. They match in linear time on both engines.
 * - a page goal's `*` pattern becomes `^…$` with `.*` for each `*` (escaped otherwise).
 * - `matches` (and `matches_not`) take the caller's own pattern, which is only accepted from a small grammar that
 *   both engines read alike and whose backtracking is bounded ({@link checkCallerPattern}). Refused: back-references,
 *   look-around, lazy and possessive quantifiers, quantified groups, shorthand classes (`\d`, `\w`: their Unicode
 *   meaning differs between the engines), flags, and patterns whose worst case is too costly.
 */

/** Characters with a meaning in a pattern; escaped with `\` in literals. */
const META = new Set([..."\\^$.|?*+()[]{}/-"]);

function escapeLiteral(text: string): string {
  let out = "";
  for (const c of text) out += META.has(c) ? `\\${c}` : c;
  return out;
}

/** `is` (exact) or `contains` of a literal value, optionally case-insensitive. */
export function literalPattern(value: string, mode: "exact" | "contains", caseSensitive: boolean): string {
  const body = escapeLiteral(value);
  const pattern = mode === "exact" ? `^${body}$` : body;
  return caseSensitive ? pattern : `(?i)${pattern}`;
}

/** A page goal's pattern (`/checkout/*`: `*` any characters) as an anchored regular expression. */
export function pageGoalPattern(page: string): string {
  return `^${page.split("*").map(escapeLiteral).join(".*")}$`;
}

/** A pattern that matches no value at all (an unused leaf's pattern slot is never consulted; this fills it). */
export const NEVER_PATTERN = "^$";

/** Longest caller pattern. */
export const MAX_CALLER_PATTERN = 200;
/** Longest value a pattern is tried on: paths are cut at 1,024 characters, referrer hosts and campaigns are shorter. */
const MAX_VALUE = 2048;
/**
 * The worst-case number of ways a backtracking matcher can try one value (start positions × choices of every
 * quantifier and alternation). An anchored pattern with one `.*`, or an unanchored literal, stays below it; two
 * unbounded quantifiers, or one without `^`, do not.
 */
const MAX_CHOICES = 8192;
const MAX_COUNTED_REPEAT = 100;

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PatternError";
  }
}

/**
 * Accepts a caller's `matches` pattern, or throws a PatternError saying why not. The grammar: literal characters,
 * `\` before a character of `\^$.|?*+()[]{}/-`, `.`, bracket classes (`[a-z0-9_]`, `[^/]`), groups `( … )` and
 * `(?: … )` with `|` inside, `|` at the top, `^` at the start and `$` at the end of a branch, and the quantifiers
 * `?`, `*`, `+`, `{m}`, `{m,}`, `{m,n}` (n ≤ 100) after a character, `.` or a class — never after a group.
 */
export function checkCallerPattern(pattern: string): void {
  if (pattern.length === 0)
    throw new PatternError("an empty pattern matches everything: use no filter instead");
  if (pattern.length > MAX_CALLER_PATTERN)
    throw new PatternError(`a pattern has at most ${MAX_CALLER_PATTERN} characters`);
  const parser = new PatternParser(pattern);
  const choices = parser.parse();
  if (choices > MAX_CHOICES) {
    throw new PatternError(
      "this pattern could take too long on a backtracking engine: start it with ^ and use at most one * or + (or bounded repetition such as {1,20})",
    );
  }
}

/** A recursive-descent reader of the accepted grammar, computing the worst-case number of choices as it goes. */
class PatternParser {
  private at = 0;
  private anchoredBranches = 0;
  private branches = 0;

  constructor(private readonly text: string) {}

  parse(): number {
    const inner = this.alternation(0);
    if (this.at !== this.text.length) this.fail("an unmatched )");
    // Every top-level branch anchored at the start: one start position; otherwise any of the value's positions.
    const starts = this.anchoredBranches === this.branches ? 1 : MAX_VALUE;
    return starts * inner;
  }

  private fail(what: string): never {
    throw new PatternError(
      `${what} at position ${this.at + 1} is not accepted (see docs/STATS-API.md, "matches")`,
    );
  }

  private peek(): string | undefined {
    return this.text[this.at];
  }

  /** Branches separated by `|`; choices: the sum over branches. */
  private alternation(depth: number): number {
    let total = 0;
    for (;;) {
      total += this.sequence(depth);
      if (this.peek() !== "|") return total;
      this.at++;
    }
  }

  /** Items of one branch; choices: the product over items. */
  private sequence(depth: number): number {
    if (depth === 0) this.branches++;
    let choices = 1;
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === "|" || c === ")") return choices;
      if (c === "^") {
        if (!first) this.fail("^ inside a branch");
        if (depth === 0) this.anchoredBranches++;
        this.at++;
        first = false;
        continue;
      }
      if (c === "$") {
        this.at++;
        const next = this.peek();
        if (next !== undefined && next !== "|" && next !== ")") this.fail("$ before the end of a branch");
        return choices;
      }
      first = false;
      if (c === "(") {
        this.at++;
        if (this.text.startsWith("?:", this.at)) this.at += 2;
        else if (this.peek() === "?") this.fail("(? other than (?:");
        const inner = this.alternation(depth + 1);
        if (this.peek() !== ")") this.fail("a group without its )");
        this.at++;
        if (this.isQuantifier(this.peek())) this.fail("a quantifier after a group");
        choices *= inner;
        continue;
      }
      this.atom();
      choices *= this.quantifier();
    }
  }

  private atom(): void {
    const c = this.peek();
    if (c === "\\") {
      const next = this.text[this.at + 1];
      if (next === undefined || !META.has(next)) this.fail("this escape");
      this.at += 2;
      return;
    }
    if (c === "[") {
      this.klass();
      return;
    }
    if (c === "*" || c === "+" || c === "?" || c === "{")
      this.fail("a quantifier without anything before it");
    if (c === "]" || c === "}") this.fail(`a lone ${c}`);
    this.at++;
  }

  private klass(): void {
    this.at++;
    if (this.peek() === "^") this.at++;
    let members = 0;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("a class without its ]");
      if (c === "]" && members > 0) {
        this.at++;
        return;
      }
      if (c === "[") this.fail("[ inside a class");
      if (c === "\\") {
        const next = this.text[this.at + 1];
        if (next === undefined || !META.has(next)) this.fail("this escape");
        this.at += 2;
      } else {
        this.at++;
      }
      members++;
    }
  }

  private isQuantifier(c: string | undefined): boolean {
    return c === "*" || c === "+" || c === "?" || c === "{";
  }

  /** The quantifier after an atom, if any; choices: how many repetitions it may try. */
  private quantifier(): number {
    const c = this.peek();
    let choices = 1;
    if (c === "*" || c === "+") {
      this.at++;
      choices = MAX_VALUE + 1;
    } else if (c === "?") {
      this.at++;
      choices = 2;
    } else if (c === "{") {
      const match = /^\{(\d{1,3})(,(\d{0,3}))?\}/.exec(this.text.slice(this.at));
      if (match === null) this.fail("this repetition (write {m}, {m,} or {m,n})");
      const min = Number(match[1]);
      const max =
        match[2] === undefined ? min : match[3] === "" ? Number.POSITIVE_INFINITY : Number(match[3]);
      if (max < min || (Number.isFinite(max) && max > MAX_COUNTED_REPEAT))
        this.fail(`a repetition beyond {0,${MAX_COUNTED_REPEAT}}`);
      this.at += match[0].length;
      choices = Number.isFinite(max) ? max - min + 1 : MAX_VALUE + 1;
    }
    if (this.isQuantifier(this.peek())) this.fail("a second quantifier (lazy, possessive or nested)");
    return choices;
  }
}
