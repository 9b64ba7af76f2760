/// <reference lib="dom" />
import uPlot from "uplot";
import type { HourlySeries } from "../../../core/dashboard/hourly.ts";
import { formatCount } from "./format.ts";

/**
 * The security view's chart (uPlot, MIT): requests per hour (UTC, left axis) and the 4xx and 5xx answers among them
 * (right axis, its own scale: a burst of errors stays visible beside thousands of requests), for all addresses or
 * one. The legend is honest: over an hour it shows that hour's counts; elsewhere the totals of the whole range,
 * and says so.
 */

const REQUESTS = "#2f6fde";
const CLIENT_ERRORS = "#d08a00";
const SERVER_ERRORS = "#c4362c";
const HEIGHT = 240;
const HOUR_S = 3600;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Epoch seconds as `6 Dec 14:00` (UTC). */
export function hourLabel(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCHours()).padStart(2, "0")}:00`;
}

/** An x-axis tick: the day at midnight, the hour otherwise (UTC). */
function tickLabel(seconds: number): string {
  const d = new Date(seconds * 1000);
  return d.getUTCHours() === 0
    ? `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`
    : `${String(d.getUTCHours()).padStart(2, "0")}:00`;
}

function line(label: string, color: string, total: number, scale: string, fill?: string): uPlot.Series {
  return {
    label,
    scale,
    stroke: color,
    width: scale === "y" ? 2 : 1.5,
    ...(fill === undefined ? {} : { fill }),
    points: { show: false },
    value: (_u, v, _s, idx) => (idx === null ? `${formatCount(total)} in all` : formatCount(v ?? 0)),
  };
}

const fromZero: uPlot.Scale.Range = (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1];

export function securityChart(container: HTMLElement, data: HourlySeries): () => void {
  const width = Math.max(320, container.clientWidth);
  const options: uPlot.Options = {
    width,
    height: HEIGHT,
    padding: [12, 8, 0, 4],
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    scales: { x: { time: true }, y: { range: fromZero }, errors: { range: fromZero } },
    // Hours are UTC days' hours, as everywhere in the security view.
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
    legend: { live: true },
    axes: [
      {
        stroke: "#5b6676",
        grid: { show: false },
        ticks: { show: false },
        space: 60,
        incrs: [HOUR_S, 2 * HOUR_S, 3 * HOUR_S, 6 * HOUR_S, 12 * HOUR_S, 24 * HOUR_S, 48 * HOUR_S],
        values: (_u, splits) => splits.map((v) => tickLabel(v)),
      },
      {
        label: "Requests",
        labelSize: 18,
        stroke: REQUESTS,
        grid: { stroke: "#e7ebf0", width: 1 },
        ticks: { show: false },
        size: 56,
        values: (_u, splits) => splits.map((v) => formatCount(v)),
      },
      {
        scale: "errors",
        side: 1,
        label: "4xx / 5xx",
        labelSize: 18,
        stroke: SERVER_ERRORS,
        grid: { show: false },
        ticks: { show: false },
        size: 48,
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? formatCount(v) : "")),
      },
    ],
    series: [
      { label: "Hour (UTC)", value: (_u, v) => (v === null ? "whole range" : hourLabel(v)) },
      line("Requests", REQUESTS, data.totals.requests, "y", "rgba(47, 111, 222, 0.10)"),
      line("4xx", CLIENT_ERRORS, data.totals.status4xx, "errors"),
      line("5xx", SERVER_ERRORS, data.totals.status5xx, "errors"),
    ],
  };
  const chart = new uPlot(
    options,
    [[...data.hours], [...data.requests], [...data.status4xx], [...data.status5xx]] as uPlot.AlignedData,
    container,
  );
  const observer = new ResizeObserver(() => {
    const w = Math.max(320, container.clientWidth);
    if (w !== chart.width) chart.setSize({ width: w, height: HEIGHT });
  });
  observer.observe(container);
  return () => {
    observer.disconnect();
    chart.destroy();
  };
}
