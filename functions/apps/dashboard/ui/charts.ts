/// <reference lib="dom" />
import uPlot from "uplot";
import { formatCount } from "./format.ts";

/**
 * The time-series chart (uPlot, MIT): one metric for the chosen range, and the previous period of the same length
 * as a dashed line, aligned bucket by bucket. The x axis is the bucket's position with its label (a day, the
 * Monday of a week, a month), so day, week and month look alike. Missing buckets are gaps, not zeros.
 */

export interface TrendChartData {
  readonly labels: readonly string[];
  readonly current: readonly (number | null)[];
  readonly previous: readonly (number | null)[];
  readonly currentLabel: string;
  readonly previousLabel: string;
  /**
   * What the legend shows while the pointer is not over a bucket: the total of each series over the range (an
   * honest reading of the whole chart instead of a dash), and what the x axis spans.
   */
  readonly currentTotal: string;
  readonly previousTotal: string;
  readonly rangeText: string;
}

const ACCENT = "#2f6fde";
const MUTED = "#9aa5b5";

export function trendChart(container: HTMLElement, data: TrendChartData): () => void {
  const xs = data.labels.map((_, i) => i);
  const width = Math.max(320, container.clientWidth);
  const options: uPlot.Options = {
    width,
    height: 260,
    padding: [12, 32, 0, 4],
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    legend: { live: true },
    axes: [
      {
        stroke: "#5b6676",
        grid: { show: false },
        ticks: { show: false },
        space: 60,
        incrs: [1, 2, 3, 4, 5, 7, 10, 14, 15, 20, 30, 50, 100],
        values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (data.labels[i] ?? "") : "")),
      },
      {
        stroke: "#5b6676",
        grid: { stroke: "#e7ebf0", width: 1 },
        ticks: { show: false },
        size: 56,
        values: (_u, splits) => splits.map((v) => formatCount(v)),
      },
    ],
    series: [
      // uPlot hands the legend the hovered bucket's index, or null with no bucket under the pointer.
      {
        label: "Period",
        value: (_u, i) => (i === null ? data.rangeText : (data.labels[i] ?? data.rangeText)),
      },
      {
        label: data.currentLabel,
        stroke: ACCENT,
        width: 2.5,
        fill: "rgba(47, 111, 222, 0.10)",
        // Points where lines would be too dense; always where a value stands alone between gaps (no line shows it).
        points: {
          show: data.labels.length <= 45 || data.current.filter((v) => v !== null).length <= 45,
          size: 5,
          fill: ACCENT,
        },
        value: (_u, v, _s, i) => (i === null ? data.currentTotal : v === null ? "no data" : formatCount(v)),
        spanGaps: false,
      },
      {
        label: data.previousLabel,
        stroke: MUTED,
        width: 1.5,
        dash: [6, 4],
        points: { show: false },
        value: (_u, v, _s, i) => (i === null ? data.previousTotal : v === null ? "no data" : formatCount(v)),
        spanGaps: false,
      },
    ],
  };
  const chart = new uPlot(
    options,
    [
      xs,
      [...data.current] as (number | null)[],
      [...data.previous] as (number | null)[],
    ] as uPlot.AlignedData,
    container,
  );
  const observer = new ResizeObserver(() => {
    const w = Math.max(320, container.clientWidth);
    if (w !== chart.width) chart.setSize({ width: w, height: 260 });
  });
  observer.observe(container);
  return () => {
    observer.disconnect();
    chart.destroy();
  };
}
