/**
 * CSV (RFC 4180) that is safe to open in a spreadsheet. Query results carry text that attackers wrote (request
 * targets, user agents, referrers), and a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is
 * read as a formula by Excel, LibreOffice and Google Sheets (CSV injection, see OWASP "CSV Injection").
 * Such text cells get a leading apostrophe, which spreadsheets show as text and do not evaluate; the full-width
 * forms of those characters are treated the same, and so is a trigger hidden behind leading spaces.
 * Numbers and booleans that logsieve computed are written as they are (a negative count is still a number).
 */

const FORMULA_TRIGGERS = new Set(["=", "+", "-", "@", "\t", "\r", "\uFF1D", "\uFF0B", "\uFF0D", "\uFF20"]);

/** True when a spreadsheet could evaluate this text as a formula. */
export function looksLikeFormula(text: string): boolean {
  const first = text.replace(/^ +/, "").charAt(0);
  return FORMULA_TRIGGERS.has(first) || FORMULA_TRIGGERS.has(text.charAt(0));
}

/** One cell: null is empty, text is neutralised against formulas and quoted when it must be. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const text = looksLikeFormula(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header line and one line per row, CRLF-terminated as RFC 4180 asks. */
export function toCsv(
  columns: readonly string[],
  rows: readonly Readonly<Record<string, string | number | boolean | null>>[],
): string {
  const lines = [columns.map((c) => csvCell(c)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => csvCell(row[c] ?? null)).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
