/**
 * A privacy notice as structure (sections of paragraphs, lists and tables), rendered to Markdown or HTML.
 * The texts come from notice.ts; this file only knows how to write them down.
 */

export type Block =
  | { readonly kind: "p"; readonly text: string }
  | { readonly kind: "ul"; readonly items: readonly string[] }
  | {
      readonly kind: "table";
      readonly head: readonly string[];
      readonly rows: readonly (readonly string[])[];
    };

export interface Section {
  readonly id: string;
  readonly heading: string;
  readonly blocks: readonly Block[];
}

export interface PolicyDocument {
  readonly lang: "de" | "en";
  readonly title: string;
  /** A comment for the operator, not shown to readers (an HTML comment in both formats). */
  readonly note: string;
  readonly sections: readonly Section[];
}

function escapeMarkdownCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function renderMarkdown(doc: PolicyDocument): string {
  const out: string[] = [`<!-- ${doc.note.replace(/--/g, "- -")} -->`, "", `## ${doc.title}`, ""];
  for (const section of doc.sections) {
    out.push(`### ${section.heading}`, "");
    for (const block of section.blocks) {
      if (block.kind === "p") out.push(block.text, "");
      else if (block.kind === "ul") out.push(...block.items.map((item) => `- ${item}`), "");
      else {
        out.push(`| ${block.head.map(escapeMarkdownCell).join(" | ")} |`);
        out.push(`|${block.head.map(() => " --- |").join("")}`);
        for (const row of block.rows) out.push(`| ${row.map(escapeMarkdownCell).join(" | ")} |`);
        out.push("");
      }
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A fragment (a `<section>`), to be placed into the operator's own privacy page. */
export function renderHtml(doc: PolicyDocument): string {
  const out: string[] = [
    `<!-- ${escapeHtml(doc.note).replace(/--/g, "- -")} -->`,
    `<section class="logsieve-privacy" lang="${doc.lang}">`,
    `  <h2>${escapeHtml(doc.title)}</h2>`,
  ];
  for (const section of doc.sections) {
    out.push(
      `  <section id="logsieve-${escapeHtml(section.id)}">`,
      `    <h3>${escapeHtml(section.heading)}</h3>`,
    );
    for (const block of section.blocks) {
      if (block.kind === "p") out.push(`    <p>${escapeHtml(block.text)}</p>`);
      else if (block.kind === "ul") {
        out.push("    <ul>", ...block.items.map((item) => `      <li>${escapeHtml(item)}</li>`), "    </ul>");
      } else {
        out.push("    <table>", "      <thead>");
        out.push(
          `        <tr>${block.head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join("")}</tr>`,
        );
        out.push("      </thead>", "      <tbody>");
        for (const row of block.rows)
          out.push(`        <tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`);
        out.push("      </tbody>", "    </table>");
      }
    }
    out.push("  </section>");
  }
  out.push("</section>");
  return `${out.join("\n")}\n`;
}
