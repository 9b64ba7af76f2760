/**
 * A small SQL lexer, enough to find placeholders, function calls and clause keywords without being fooled by
 * string literals, quoted identifiers or comments. It does not validate SQL; the engines do that.
 */

export type TokenKind = "word" | "string" | "quoted" | "number" | "symbol" | "placeholder";

export interface Token {
  readonly kind: TokenKind;
  /** The token's text as written (for `word`, as written: compare with `upper`). */
  readonly text: string;
  readonly upper: string;
  /** Offset of the token's first character in the SQL text. */
  readonly offset: number;
}

const WORD_START = /[A-Za-z_]/;
const WORD_PART = /[A-Za-z0-9_$]/;
const DIGIT = /[0-9]/;
/** Two-character operators, longest match first. */
const PAIRS = new Set(["::", "<=", ">=", "<>", "!=", "||", "->", "//", "**", "=>"]);

/** Splits SQL into tokens, dropping whitespace and comments. Throws on an unterminated literal or comment. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number): void => {
    const text = sql.slice(start, end);
    tokens.push({ kind, text, upper: text.toUpperCase(), offset: start });
  };
  while (i < sql.length) {
    const c = sql.charAt(i);
    const next = sql.charAt(i + 1);
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end < 0) throw new Error(`unterminated block comment at offset ${i}`);
      i = end + 2;
    } else if (c === "'" || c === '"' || c === "`") {
      const start = i;
      i++;
      for (;;) {
        if (i >= sql.length) throw new Error(`unterminated ${c} literal at offset ${start}`);
        if (sql.charAt(i) === c) {
          if (sql.charAt(i + 1) === c) {
            i += 2;
            continue;
          }
          i++;
          break;
        }
        i++;
      }
      push(c === "'" ? "string" : "quoted", start, i);
    } else if (WORD_START.test(c)) {
      const start = i;
      while (i < sql.length && WORD_PART.test(sql.charAt(i))) i++;
      push("word", start, i);
    } else if (DIGIT.test(c)) {
      const start = i;
      while (i < sql.length && /[0-9.eE]/.test(sql.charAt(i))) i++;
      push("number", start, i);
    } else if (c === "?") {
      push("placeholder", i, i + 1);
      i++;
    } else if (c === "$" && DIGIT.test(next)) {
      const start = i;
      i++;
      while (i < sql.length && DIGIT.test(sql.charAt(i))) i++;
      push("symbol", start, i);
    } else {
      const pair = sql.slice(i, i + 2);
      const width = PAIRS.has(pair) ? 2 : 1;
      push("symbol", i, i + width);
      i += width;
    }
  }
  return tokens;
}

/** Number of `?` placeholders outside literals and comments. */
export function placeholderCount(sql: string): number {
  return tokenize(sql).filter((t) => t.kind === "placeholder").length;
}

/** Keywords that start a clause: a placeholder's clause is the last one of these seen in its scope. */
const CLAUSE_KEYWORDS = new Set([
  "SELECT",
  "FROM",
  "WHERE",
  "GROUP",
  "HAVING",
  "ORDER",
  "LIMIT",
  "OFFSET",
  "ON",
  "JOIN",
  "USING",
  "WINDOW",
  "UNION",
  "INTERSECT",
  "EXCEPT",
  "VALUES",
  "WITH",
  "QUALIFY",
  "PARTITION",
]);

/**
 * For each placeholder, the clause keyword it sits in (`WHERE`, `SELECT`, `LIMIT`...). Parentheses open a
 * scope that inherits the enclosing clause until a clause keyword appears inside it (a subquery), so
 * `WHERE strpos(?, x) > 0` is in WHERE and `WHERE x IN (SELECT ? ...)` is in SELECT.
 */
export function placeholderClauses(sql: string): string[] {
  const clauses: string[] = [];
  const stack: string[] = ["(start)"];
  for (const token of tokenize(sql)) {
    if (token.kind === "symbol" && token.text === "(") {
      stack.push(stack[stack.length - 1] ?? "(start)");
    } else if (token.kind === "symbol" && token.text === ")") {
      if (stack.length > 1) stack.pop();
    } else if (token.kind === "word" && CLAUSE_KEYWORDS.has(token.upper)) {
      stack[stack.length - 1] = token.upper;
    } else if (token.kind === "placeholder") {
      clauses.push(stack[stack.length - 1] ?? "(start)");
    }
  }
  return clauses;
}
