/// <reference lib="dom" />
import type { ColumnSpec } from "../../../core/dashboard/queries.ts";
import type { Row, Value } from "./api.ts";
import { h } from "./dom.ts";
import { formatBytes, formatCount, formatDay, formatDuration, formatTime } from "./format.ts";

/**
 * A result table: labelled columns with their units, numbers right-aligned, a bar behind the main measure, the
 * folded `(other)` row last and explained, addresses as buttons that open their timeline (security view).
 */

export interface TableOptions {
  /** The numeric column whose share is drawn as a bar behind the first column. */
  readonly barColumn?: string;
  /** Called when an address cell is clicked. */
  readonly onAddress?: (address: string) => void;
  /** Shown instead of an empty table. */
  readonly empty: string;
  /** Per column, how a text value is written (e.g. a country code as its name). */
  readonly display?: Readonly<Record<string, (value: string) => string>>;
  /** When given, a row's first cell is a button that filters every panel by it (not for the (other) row). */
  readonly onRow?: (row: Row) => void;
  /** The tooltip of those buttons. */
  readonly rowTitle?: string;
}

export function formatValue(kind: ColumnSpec["kind"], value: Value): string {
  if (value === null) return "–";
  switch (kind) {
    case "count":
      return formatCount(value);
    case "bytes":
      return formatBytes(value);
    case "day":
      return typeof value === "string" ? formatDay(value) : String(value);
    case "time":
      return formatTime(value);
    case "flag":
      return value === true ? "yes" : value === false ? "no" : String(value);
    case "percent":
      return typeof value === "number" ? `${value} %` : String(value);
    case "duration":
      return typeof value === "number" ? formatDuration(value) : String(value);
    case "ratio":
      return typeof value === "number" ? value.toFixed(2) : String(value);
    default:
      return String(value);
  }
}

const isNumeric = (kind: ColumnSpec["kind"]) =>
  kind === "count" || kind === "bytes" || kind === "percent" || kind === "duration" || kind === "ratio";

export function resultTable(
  columns: readonly ColumnSpec[],
  rows: readonly Row[],
  options: TableOptions,
): HTMLElement {
  if (rows.length === 0) return h("p", { className: "empty", "data-testid": "empty" }, options.empty);
  const max =
    options.barColumn === undefined
      ? 0
      : Math.max(0, ...rows.map((r) => Number(r[options.barColumn ?? ""] ?? 0)));
  const head = h(
    "tr",
    {},
    ...columns.map((c) => h("th", { scope: "col", className: isNumeric(c.kind) ? "num" : "" }, c.label)),
  );
  const body = h("tbody", {});
  for (const row of rows) {
    const folded = columns.some((c) => row[c.name] === "(other)");
    const tr = h("tr", { className: folded ? "folded" : "" });
    columns.forEach((column, index) => {
      const value = row[column.name] ?? null;
      const show = options.display?.[column.name];
      const text =
        show !== undefined && typeof value === "string" ? show(value) : formatValue(column.kind, value);
      let cell: HTMLTableCellElement;
      if (column.kind === "address" && typeof value === "string" && options.onAddress !== undefined) {
        const open = options.onAddress;
        cell = h(
          "td",
          { "data-column": column.name },
          h(
            "button",
            {
              type: "button",
              className: "link",
              title: "Open this address's timeline",
              onclick: () => open(value),
            },
            value,
          ),
        );
      } else if (index === 0 && options.onRow !== undefined && !folded && typeof value === "string") {
        const pick = options.onRow;
        cell = h(
          "td",
          { "data-column": column.name, title: text.length > 60 ? text : undefined },
          h(
            "button",
            {
              type: "button",
              className: "link row-filter",
              title: options.rowTitle ?? "Filter every panel by this",
              onclick: () => pick(row),
            },
            text,
          ),
        );
      } else {
        cell = h(
          "td",
          {
            className: isNumeric(column.kind) ? "num" : "",
            "data-column": column.name,
            title: text.length > 60 ? text : undefined,
          },
          text,
        );
      }
      if (index === 0 && options.barColumn !== undefined && max > 0) {
        const share = Number(row[options.barColumn] ?? 0) / max;
        const bar = h("span", { className: "bar", "aria-hidden": "true" });
        bar.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
        cell.classList.add("with-bar");
        cell.prepend(bar);
      }
      tr.appendChild(cell);
    });
    body.appendChild(tr);
  }
  return h("div", { className: "table-wrap" }, h("table", {}, h("thead", {}, head), body));
}
