/**
 * Measures the bot classifier against every bot corpus in ../shared/validation/bots/ and prints precision and
 * recall per corpus. Run from the project root: `npx tsx scripts/validate-bots.ts [--misses N] [--bench]`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isbot } from "isbot";
import { parseClientAddress } from "../functions/core/anonymize/ip.ts";
import { classifyBot } from "../functions/core/enrich/bots.ts";
import { createEnricher } from "../functions/core/enrich/enrich.ts";
import { parseUserAgent } from "../functions/core/enrich/user-agent.ts";
import { NO_GEO } from "../functions/ports/geo.ts";
import { yamlScalar } from "./corpus-yaml.ts";
import { validationDir } from "./validation-dir.ts";

const ROOT = join(validationDir(), "bots");

function lines(path: string): string[] {
  return readFileSync(join(ROOT, path), "utf8").split(/\r?\n/);
}

/** isbot fixtures: `Name:` then `  - ua` lines. */
function isbotList(file: string): string[] {
  return lines(file)
    .filter((l) => l.startsWith("  - "))
    .map((l) => yamlScalar(l.slice(4)));
}

/** device-detector fixtures: `  user_agent: ua` in a list of maps. */
function deviceDetector(file: string): string[] {
  return lines(file)
    .filter((l) => l.startsWith("  user_agent: "))
    .map((l) => yamlScalar(l.slice("  user_agent: ".length)));
}

/** uap-core test_device.yaml: `- user_agent_string:` followed by `family:`; family Spider = bot. */
function uapDevices(): { bots: string[]; humans: string[] } {
  const bots: string[] = [];
  const humans: string[] = [];
  let current: string | null = null;
  for (const l of lines("uap-core/test_device.yaml")) {
    const ua = l.match(/^\s+- user_agent_string: (.*)$/);
    if (ua) {
      current = yamlScalar(ua[1] ?? "");
      continue;
    }
    const family = l.match(/^\s+family: (.*)$/);
    if (family && current !== null) {
      (yamlScalar(family[1] ?? "") === "Spider" ? bots : humans).push(current);
      current = null;
    }
  }
  return { bots, humans };
}

function crawlerUserAgents(): string[] {
  const entries = JSON.parse(
    readFileSync(join(ROOT, "crawler-user-agents/crawler-user-agents.json"), "utf8"),
  ) as {
    instances: string[];
  }[];
  return entries.flatMap((e) => e.instances);
}

interface Corpus {
  readonly name: string;
  readonly bots: readonly string[];
  readonly humans: readonly string[];
}

export function loadCorpora(): Corpus[] {
  const uap = uapDevices();
  return [
    {
      name: "isbot fixtures (crawlers / browsers)",
      bots: isbotList("isbot/fixtures_crawlers.yml"),
      humans: isbotList("isbot/fixtures_browsers.yml"),
    },
    { name: "crawler-user-agents (instances)", bots: crawlerUserAgents(), humans: [] },
    {
      name: "device-detector (bots.yml / desktop+smartphone)",
      bots: deviceDetector("device-detector/bots.yml"),
      humans: [
        ...deviceDetector("device-detector/desktop.yml"),
        ...deviceDetector("device-detector/smartphone.yml"),
      ],
    },
    { name: "uap-core test_device (Spider / other)", bots: uap.bots, humans: uap.humans },
    {
      name: "uap-core test_device, Mozilla/ agents only",
      bots: uap.bots.filter((ua) => ua.startsWith("Mozilla/")),
      humans: uap.humans.filter((ua) => ua.startsWith("Mozilla/")),
    },
  ];
}

function pct(n: number, d: number): string {
  return d === 0 ? "  n/a" : `${((100 * n) / d).toFixed(2).padStart(6)}%`;
}

type Classifier = (ua: string) => boolean;

const CLASSIFIERS: readonly (readonly [string, Classifier])[] = [
  ["logsieve classifyBot", (ua) => classifyBot(ua).isBot],
  ["isbot alone (baseline)", (ua) => isbot(ua)],
];

function table(corpora: readonly Corpus[], isBot: Classifier): string[][] {
  const rows: string[][] = [
    ["corpus", "bots", "flagged", "recall", "humans", "flagged", "FP rate", "precision"],
  ];
  for (const corpus of corpora) {
    const tp = corpus.bots.filter(isBot).length;
    const fp = corpus.humans.filter(isBot).length;
    rows.push([
      corpus.name,
      String(corpus.bots.length),
      String(tp),
      pct(tp, corpus.bots.length),
      String(corpus.humans.length),
      String(fp),
      pct(fp, corpus.humans.length),
      corpus.humans.length === 0 ? "  n/a" : pct(tp, tp + fp),
    ]);
  }
  return rows;
}

function print(rows: readonly string[][]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const r of rows) {
    console.log(
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  "),
    );
  }
}

/** ns per call of `f` over `inputs`, second of two rounds (the first warms the JIT). */
function nsPerOp(inputs: readonly string[], f: (input: string) => unknown): number {
  let ns = 0;
  for (let round = 0; round < 2; round++) {
    const started = performance.now();
    for (const input of inputs) f(input);
    ns = ((performance.now() - started) * 1e6) / inputs.length;
  }
  return ns;
}

function bench(corpora: readonly Corpus[]): void {
  const agents = corpora.flatMap((c) => [...c.bots, ...c.humans]).slice(0, 20_000);
  const address = parseClientAddress("198.51.100.7");
  if (address === null) throw new Error("unreachable");
  console.log(`\nper-op costs over ${agents.length} distinct corpus agents:`);
  console.log(`  classifyBot (uncached):               ${nsPerOp(agents, classifyBot).toFixed(0)} ns/op`);
  console.log(`  parseUserAgent (uncached):            ${nsPerOp(agents, parseUserAgent).toFixed(0)} ns/op`);
  const missing = createEnricher(NO_GEO, { userAgentCacheSize: 1024 });
  console.log(
    `  enricher, cache miss (bot + UA):      ${nsPerOp(agents, (ua) => missing(address, ua)).toFixed(0)} ns/op`,
  );
  const hitting = createEnricher(NO_GEO);
  const popular = agents.slice(0, 500);
  const repeated = Array.from({ length: 200_000 }, (_, i) => popular[(i * 7) % popular.length] ?? "");
  for (const ua of popular) hitting(address, ua);
  console.log(
    `  enricher, cache hit (500 agents):     ${nsPerOp(repeated, (ua) => hitting(address, ua)).toFixed(0)} ns/op`,
  );
}

function main(): void {
  const args = process.argv.slice(2);
  const missesArg = args.indexOf("--misses");
  const showMisses = missesArg >= 0 ? Number(args[missesArg + 1] ?? 20) : 0;
  const corpora = loadCorpora();
  for (const [name, isBot] of CLASSIFIERS) {
    console.log(`\n## ${name}`);
    print(table(corpora, isBot));
  }
  const reasons = new Map<string, number>();
  for (const corpus of corpora.slice(0, 4)) {
    for (const ua of corpus.bots) {
      const r = classifyBot(ua).reason ?? "(missed)";
      reasons.set(r, (reasons.get(r) ?? 0) + 1);
    }
    if (showMisses > 0) {
      const missed = corpus.bots.filter((ua) => !classifyBot(ua).isBot);
      const falsePositives = corpus.humans.filter((ua) => classifyBot(ua).isBot);
      console.log(`\n## ${corpus.name}: missed bots (${missed.length})`);
      for (const ua of missed.slice(0, showMisses)) console.log(`  ${ua}`);
      console.log(`## ${corpus.name}: humans flagged (${falsePositives.length})`);
      for (const ua of falsePositives.slice(0, showMisses)) {
        const v = classifyBot(ua);
        console.log(`  [${v.reason} ${v.name}] ${ua}`);
      }
    }
  }
  console.log(`\nreasons given to corpus bots: ${[...reasons].map(([k, v]) => `${k}=${v}`).join(", ")}`);
  if (args.includes("--bench")) bench(corpora);
}

main();
