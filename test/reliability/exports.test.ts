import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/core/config.ts";
import { csvCell, toCsv } from "../../functions/core/export/csv.ts";
import { generatePolicy } from "../../functions/core/policy/notice.ts";

/**
 * Exports carry text attackers wrote (request targets, user agents, referrers, campaign values):
 * - CSV (functions/core/export/csv.ts: `logsieve query --format csv` and the dashboard API's export, which uses the same
 *   toCsv): a cell a spreadsheet would evaluate, one starting with `=`, `+`, `-`, `@`, a tab or a CR (also their
 *   full-width forms, also behind spaces), is neutralized with a leading apostrophe, and the file still parses as
 *   RFC 4180 with every row intact;
 * - HTML (`logsieve policy --format html`): everything shown is escaped, so a configuration value carrying markup
 *   stays text. (The dashboard page builds its DOM with textContent only: functions/apps/dashboard/ui/dom.ts.)
 */

const TRIGGERS = ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"] as const;
const ROOT = new URL("../../", import.meta.url);

/** RFC 4180 parsing: quoted fields with doubled quotes, CRLF between records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  if (cell !== "" || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** What a spreadsheet would evaluate: the first non-space character is a trigger. */
const evaluable = (cell: string) =>
  (TRIGGERS as readonly string[]).includes(cell.replace(/^ +/, "").charAt(0));

describe("CSV export", () => {
  it.each(TRIGGERS.map((t) => [JSON.stringify(t), t]))(
    "neutralizes a cell starting with %s",
    (_name, trigger) => {
      // Prepare
      const values = [`${trigger}HYPERLINK("http://evil.example","x")`, `   ${trigger}1+1`, trigger];

      // Act
      const cells = values.map((v) => parseCsv(`${csvCell(v)}\r\n`)[0]?.[0] ?? "");

      // Assess
      for (const [i, cell] of cells.entries()) {
        expect(cell.startsWith("'")).toBe(true);
        expect(cell.slice(1)).toBe(values[i]);
        expect(evaluable(cell)).toBe(false);
      }
    },
  );

  it("keeps numbers as numbers, quotes separators and line breaks, and every row parses back", () => {
    // Prepare
    const rows = [
      { target: '/a,b"c', user_agent: "curl/8\r\n=cmd|' /C calc'!A0", hits: -3, share: 0.5, bot: true },
      { target: "=SUM(A1:A9)", user_agent: "-2+3", hits: 12, share: null, bot: false },
      { target: "plain", user_agent: "@import", hits: 0, share: 1, bot: false },
    ];
    const columns = ["target", "user_agent", "hits", "share", "bot"];

    // Act
    const parsed = parseCsv(toCsv(columns, rows));

    // Assess
    expect(parsed).toEqual([
      columns,
      ['/a,b"c', "curl/8\r\n=cmd|' /C calc'!A0", "-3", "0.5", "true"],
      ["'=SUM(A1:A9)", "'-2+3", "12", "", "false"],
      ["plain", "'@import", "0", "1", "false"],
    ]);
    for (const row of parsed)
      for (const cell of row) if (!/^-?\d/.test(cell)) expect(evaluable(cell)).toBe(false);
  });

  describe("through `logsieve query --format csv`", () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "logsieve-export-"));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("writes the attacker's targets, referrers and user agents as text cells a spreadsheet will not evaluate", async () => {
      // Prepare: requests whose text fields start with each trigger (a tab and a CR fit inside quoted fields).
      const payloads = [
        '=HYPERLINK("http://evil.example","click")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1)",
        "\t=1",
        "\r=1",
      ];
      const lines = payloads.map(
        (p, i) =>
          `203.0.113.9 - - [20/Nov/2026:10:00:0${i} +0000] "GET /x?q=${encodeURIComponent(p)} HTTP/1.1" 200 1 "${p}" "${p}"`,
      );
      const log = join(dir, "access.log");
      await writeFile(log, `${lines.join("\n")}\n`);
      const lake = join(dir, "lake");
      const cli = (args: string[]) =>
        spawnSync(process.execPath, ["bin/logsieve.js", "--lake", lake, ...args], {
          cwd: ROOT,
          encoding: "utf8",
          timeout: 60_000,
        });

      // Act
      const ingest = cli(["ingest", log]);
      const query = cli([
        "query",
        "ip-timeline",
        "--param",
        "ip=203.0.113.9",
        "--param",
        "from=2026-11-20",
        "--param",
        "to=2026-11-20",
        "--format",
        "csv",
      ]);

      // Assess
      expect(ingest.status).toBe(0);
      expect(query.status).toBe(0);
      const rows = parseCsv(query.stdout);
      const header = rows[0] ?? [];
      const referrer = header.indexOf("referrer");
      const agent = header.indexOf("user_agent");
      expect(rows).toHaveLength(payloads.length + 1);
      expect(rows.slice(1).map((r) => r[agent])).toEqual(payloads.map((p) => `'${p}`));
      expect(rows.slice(1).map((r) => r[referrer])).toEqual(payloads.map((p) => `'${p}`));
      for (const row of rows.slice(1))
        for (const cell of row) if (!/^-?\d/.test(cell)) expect(evaluable(cell)).toBe(false);
    }, 90_000);
  });
});

describe("HTML export: the privacy policy section", () => {
  it("refuses query parameter names that are not names (they are printed into the policy)", () => {
    expect(() => parseConfig({ scrub: { allowedQueryParams: ["<img src=x>"] } })).toThrow(
      /scrub\.allowedQueryParams\.0: a query parameter name/,
    );
    expect(
      parseConfig({ scrub: { allowedQueryParams: ["lang", "filter[color]", "page.size"] } }).scrub
        .allowedQueryParams,
    ).toEqual(["lang", "filter[color]", "page.size"]);
  });

  it.each(["de", "en"] as const)("escapes everything it shows (%s)", (lang) => {
    // Prepare: configuration values that carry markup reach the text (the query parameters kept are listed).
    // Validation refuses such names (see the next test); escaping is the second line of defence, so the values
    // are put past validation here.
    const valid = parseConfig({ sites: ["example.com"] });
    const config = {
      ...valid,
      scrub: {
        ...valid.scrub,
        allowedQueryParams: ["<img src=x onerror=alert(1)>", `a&b"c'd`, "--><script>alert(2)</script>"],
      },
    };

    // Act
    const html = generatePolicy(config, { lang, format: "html", tracker: true });

    // Assess: only the fragment's own tags, every ampersand an entity, the values shown as text.
    const tags = [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]?.toLowerCase());
    const allowed = new Set([
      "section",
      "h2",
      "h3",
      "p",
      "ul",
      "li",
      "table",
      "thead",
      "tbody",
      "tr",
      "th",
      "td",
    ]);
    expect(tags.filter((t) => t === undefined || !allowed.has(t))).toEqual([]);
    expect(tags).not.toContain("img");
    expect(tags).not.toContain("script");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("a&amp;b&quot;c&#39;d");
    expect(html.replace(/&(amp|lt|gt|quot|#39);/g, "")).not.toContain("&");
    // The one comment is closed once, at the end of its line; nothing can close it early.
    expect(html.match(/-->/g)).toHaveLength(1);
  });
});
