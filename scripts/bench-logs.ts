/**
 * The bench's logs that are not the project's own sample log (functions/apps/demo/sample-log.ts): written by code
 * that shares nothing with the pipeline or the demo generator, so that they do not flatter either.
 *
 * - `week`: like the log of issue 20's table: 1 M lines over seven days, 48,000 clients, a dozen user agents (the
 *   same handful of browsers a small site sees), few pages, search-engine referrers. Few agents make user-agent
 *   parsing cheap for everyone, GoAccess included; seven days mean seven salts, 168 hours of security partitions.
 * - `agents`: 1 M lines of one day from 250,000 clients with ~150,000 distinct user agents (browsers by release and
 *   build, Android models, in-app browsers with their build numbers, tools and bots): every cache keyed by agent or
 *   address misses often.
 * - `elastic`: the real Apache log of ../shared/validation/logs/elastic_apache_logs.log (10,000 lines of
 *   semicomplete.com, 2015) written 100 times one after the other, timestamps unchanged: every repetition goes back
 *   to its first hour, as logs of several servers concatenated do.
 * - `vhosts`: a hoster's log folder: 200 files, one per virtual host, 1 M lines in all of one day, sizes by a power
 *   law (the largest ~170,000 lines, above 32 MiB; most a few hundred), each host with its own pages and referrers,
 *   clients from one pool of 60,000 addresses (a fifth IPv6) shared by all hosts, 40 agents (a few of them bots).
 *
 * Each is generated once into bench-out/ and reused while its settings (the JSON beside it) stay the same.
 */
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** xoshiro128**: seeded, fast, and unrelated to the demo generator's PRNG. */
export function xoshiro(seed: number): () => number {
  // splitmix32 spreads the seed over the four words.
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result / 4294967296;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `[10/Oct/2026:13:55:36 +0000]` for a UTC instant. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  return `[${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000]`;
}

/** An index in [0, n) skewed to small ones, roughly Zipf with exponent ~1 (inverse transform of 1/x). */
function skewed(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(Math.exp(random() * Math.log(n + 1)) - 1));
}

function choose<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Buffers lines and writes them with back-pressure. */
class LineSink {
  private readonly out;
  private buffer: string[] = [];
  constructor(path: string) {
    this.out = createWriteStream(path);
  }
  async push(line: string): Promise<void> {
    this.buffer.push(line);
    if (this.buffer.length >= 20_000) await this.flush();
  }
  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const text = `${this.buffer.join("\n")}\n`;
    this.buffer = [];
    if (!this.out.write(text)) await new Promise<void>((done) => this.out.once("drain", () => done()));
  }
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((done, fail) => this.out.end((e?: Error | null) => (e ? fail(e) : done())));
  }
}

function ipv4(random: () => number): string {
  // Public-looking first octets (no 10/127/172.16/192.168/224+), spread over many providers.
  const first = choose(
    random,
    [2, 5, 24, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89],
  );
  const b = Math.floor(random() * 256);
  const c = Math.floor(random() * 256);
  const d = 1 + Math.floor(random() * 254);
  return `${first}.${b}.${c}.${d}`;
}

function ipv6(random: () => number): string {
  const hex = (): string => Math.floor(random() * 65536).toString(16);
  return `${choose(random, ["2a02", "2003", "2a01", "2600", "2001", "2a00"])}:${hex()}:${hex()}:${hex()}::${hex()}`;
}

// ---------------------------------------------------------------------------------------------------------------
// week: seven days, few agents

const FEW_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:129.0) Gecko/20100101 Firefox/129.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36 Edg/128.0.2739.42",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
  "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
  "curl/7.88.1",
];

const WEEK_SECTIONS = ["blog", "products", "docs", "about", "news", "shop/item", "help"];
const WEEK_ASSETS = ["/css/site.css", "/js/site.js", "/img/logo.svg", "/favicon.ico", "/fonts/inter.woff2"];
const WEEK_REFERRERS = [
  "-",
  "-",
  "-",
  "https://www.google.com/",
  "https://www.google.de/",
  "https://www.bing.com/",
  "https://duckduckgo.com/",
  "https://www.facebook.com/",
];

export interface WeekLogSettings {
  readonly seed: number;
  readonly lines: number;
  readonly days: number;
  readonly clients: number;
  readonly startMs: number;
}

export const WEEK_LOG: WeekLogSettings = {
  seed: 4711,
  lines: 1_000_000,
  days: 7,
  clients: 48_000,
  startMs: Date.UTC(2026, 9, 5),
};

export async function writeWeekLog(path: string, settings: WeekLogSettings = WEEK_LOG): Promise<void> {
  const random = xoshiro(settings.seed);
  const clients = Array.from({ length: settings.clients }, () => ({
    ip: random() < 0.15 ? ipv6(random) : ipv4(random),
    agent: FEW_AGENTS[skewed(random, FEW_AGENTS.length)] as string,
  }));
  const sink = new LineSink(path);
  const stepMs = (settings.days * 86_400_000) / settings.lines;
  for (let i = 0; i < settings.lines; i++) {
    const client = clients[skewed(random, clients.length)] as (typeof clients)[number];
    const ms = settings.startMs + Math.floor(i * stepMs);
    const asset = random() < 0.45;
    const path = asset
      ? choose(random, WEEK_ASSETS)
      : `/${choose(random, WEEK_SECTIONS)}/${skewed(random, 1500)}${random() < 0.05 ? "?page=2" : ""}`;
    const roll = random();
    const status =
      roll < 0.86 ? (asset && random() < 0.4 ? 304 : 200) : roll < 0.97 ? 404 : roll < 0.99 ? 301 : 500;
    const bytes = status === 304 ? 0 : 200 + Math.floor(random() * 60_000);
    const referrer = asset ? "https://www.example.org/" : choose(random, WEEK_REFERRERS);
    const method = random() < 0.97 ? "GET" : random() < 0.7 ? "POST" : "HEAD";
    await sink.push(
      `${client.ip} - - ${clfTime(ms)} "${method} ${path} HTTP/1.1" ${status} ${bytes} "${referrer}" "${client.agent}"`,
    );
  }
  await sink.close();
}

// ---------------------------------------------------------------------------------------------------------------
// agents: one day, many agents and many clients

const PLATFORMS = [
  "Windows NT 10.0; Win64; x64",
  "Windows NT 10.0; WOW64",
  "Windows NT 6.1; Win64; x64",
  "Macintosh; Intel Mac OS X 10_15_7",
  "Macintosh; Intel Mac OS X 13_6_1",
  "X11; Linux x86_64",
  "X11; Fedora; Linux x86_64",
  "X11; CrOS x86_64 15633.69.0",
];
const PHONES = [
  "SM-G998B",
  "SM-A525F",
  "SM-A135F",
  "Redmi Note 9 Pro",
  "M2007J20CG",
  "Pixel 5",
  "Pixel 8",
  "CPH2219",
  "V2111",
  "moto e(7)",
  "Nokia 5.4",
  "LM-Q720",
  "HUAWEI P30 lite",
  "ELE-L29",
  "ONEPLUS A5010",
  "SM-T505",
  "Lenovo TB-X606F",
];
const APPS = ["FBAV", "Instagram", "LinkedInApp", "Pinterest", "GSA", "Twitter for iPhone"];
const TOOLS = [
  "Wget/1.21.3",
  "Go-http-client/1.1",
  "okhttp/4.12.0",
  "axios/1.6.2",
  "Java/17.0.8",
  "PostmanRuntime/7.36.0",
];
const BOTS = [
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
  "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)",
  "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
  "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
];

/** One of very many agents: versions down to the build, devices, apps with build numbers. */
function manyAgent(random: () => number): string {
  const r = random();
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  if (r < 0.3) {
    const v = int(100, 131);
    return `Mozilla/5.0 (${choose(random, PLATFORMS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.${int(4000, 6900)}.${int(0, 200)} Safari/537.36`;
  }
  if (r < 0.45) {
    const v = int(100, 131);
    return `Mozilla/5.0 (Linux; Android ${int(9, 14)}; ${choose(random, PHONES)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.${int(4000, 6900)}.${int(0, 200)} Mobile Safari/537.36`;
  }
  if (r < 0.6) {
    const major = int(14, 18);
    const minor = int(0, 7);
    return `Mozilla/5.0 (iPhone; CPU iPhone OS ${major}_${minor}${random() < 0.5 ? `_${int(1, 3)}` : ""} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${major}.${minor} Mobile/15E148 Safari/604.1`;
  }
  if (r < 0.72) {
    const v = int(100, 133);
    return `Mozilla/5.0 (${choose(random, PLATFORMS)}; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`;
  }
  if (r < 0.84) {
    // In-app browsers carry their app's build: nearly every one is new.
    const app = choose(random, APPS);
    const major = int(15, 17);
    return `Mozilla/5.0 (iPhone; CPU iPhone OS ${major}_${int(0, 6)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [${app}/${int(300, 460)}.0.0.${int(10, 60)}.${int(100, 999)};FBBV/${int(100000000, 999999999)}]`;
  }
  if (r < 0.92) {
    const v = int(110, 131);
    return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.${int(1500, 2900)}.${int(10, 99)}`;
  }
  if (r < 0.97) return `${choose(random, TOOLS)}`;
  return choose(random, BOTS);
}

export interface AgentsLogSettings {
  readonly seed: number;
  readonly lines: number;
  readonly clients: number;
  readonly startMs: number;
}

export const AGENTS_LOG: AgentsLogSettings = {
  seed: 90210,
  lines: 1_000_000,
  clients: 250_000,
  startMs: Date.UTC(2026, 10, 12),
};

export async function writeAgentsLog(path: string, settings: AgentsLogSettings = AGENTS_LOG): Promise<void> {
  const random = xoshiro(settings.seed);
  const clients = Array.from({ length: settings.clients }, () => ({
    ip: random() < 0.3 ? ipv6(random) : ipv4(random),
    agent: manyAgent(random),
  }));
  const sink = new LineSink(path);
  const stepMs = 86_000_000 / settings.lines;
  for (let i = 0; i < settings.lines; i++) {
    // A flatter spread than the week log: most clients come a few times only.
    const client = clients[Math.floor(random() * random() * clients.length)] as (typeof clients)[number];
    const ms = settings.startMs + Math.floor(i * stepMs);
    const path =
      random() < 0.3
        ? `/assets/${skewed(random, 300)}.${choose(random, ["js", "css", "png", "webp"])}`
        : `/${choose(random, ["article", "category", "search", "user", "tag"])}/${skewed(random, 40_000)}${random() < 0.2 ? `?q=${skewed(random, 5000)}&utm_source=${choose(random, ["newsletter", "x", "facebook"])}` : ""}`;
    const roll = random();
    const status = roll < 0.9 ? 200 : roll < 0.95 ? 304 : roll < 0.99 ? 404 : 503;
    const bytes = status === 304 ? 0 : 100 + Math.floor(random() * 120_000);
    const referrer =
      random() < 0.5
        ? "-"
        : `https://${choose(random, ["www.google.com", "t.co", "news.example.net", `site${skewed(random, 3000)}.example.com`])}/${skewed(random, 100)}`;
    await sink.push(
      `${client.ip} - - ${clfTime(ms)} "GET ${path} HTTP/2.0" ${status} ${bytes} "${referrer}" "${client.agent}"`,
    );
  }
  await sink.close();
}

// ---------------------------------------------------------------------------------------------------------------
// elastic: a real log, repeated

export async function writeRepeatedLog(path: string, source: string, lines: number): Promise<void> {
  const original: string[] = [];
  for await (const line of createInterface({
    input: createReadStream(source),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    if (line.length > 0) original.push(line);
  }
  if (original.length === 0) throw new Error(`${source} has no lines`);
  const sink = new LineSink(path);
  for (let i = 0; i < lines; i++) await sink.push(original[i % original.length] as string);
  await sink.close();
}

// ---------------------------------------------------------------------------------------------------------------
// vhosts: a hoster's folder, one file per virtual host

/** Forty agents shared by every host: browsers by platform and release, and the bots every hoster sees. */
const HOSTED_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.2849.68",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.2792.89",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0",
  "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:132.0) Gecko/20100101 Firefox/132.0",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
  "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_10 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/130.0.6723.90 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 12; M2101K6G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Android 14; Mobile; rv:132.0) Gecko/132.0 Firefox/132.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/488.0.0.55.106;FBBV/661234567]",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 355.0.0.23.67",
  "Mozilla/5.0 (Linux; Android 14; SM-G991B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.86 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.2849.68",
];
const HOSTED_BOTS = [
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
  "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
  "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
  "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
  "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
];

/** What a host serves: its kind decides its pages' and assets' shapes. */
const SITE_KINDS = ["blog", "shop", "docs", "news", "forum", "company"] as const;
type SiteKind = (typeof SITE_KINDS)[number];
const WORDS = [
  ..."garden winter coffee bicycle recipe travel camera repair guide review market yoga".split(" "),
  ..."kitchen music photo linux budget family running paint wood summer wine house".split(" "),
  ..."green river tools design school health cloud piano energy local craft".split(" "),
];
const SEARCH_REFERRERS = [
  "https://www.google.com/",
  "https://www.google.de/",
  "https://www.google.co.uk/",
  "https://www.bing.com/",
  "https://duckduckgo.com/",
  "https://search.yahoo.com/",
  "https://www.ecosia.org/",
];
const SOCIAL_REFERRERS = [
  "https://www.facebook.com/",
  "https://l.facebook.com/",
  "https://t.co/",
  "https://www.reddit.com/",
  "https://www.linkedin.com/",
  "android-app://com.google.android.gm/",
];
/** What scanners ask every host for, whatever it runs. */
const PROBES = [
  "/wp-login.php",
  "/xmlrpc.php",
  "/.env",
  "/.git/config",
  "/phpmyadmin/",
  "/wp-admin/setup-config.php",
];

export interface VhostsLogSettings {
  readonly seed: number;
  readonly files: number;
  readonly lines: number;
  /** File sizes by rank r (1 = largest): proportional to (r + offset)^-exponent. */
  readonly exponent: number;
  readonly offset: number;
  /** The shared pool of client addresses; the first `crawlers` of them are bots. */
  readonly clients: number;
  readonly crawlers: number;
  readonly ipv6Share: number;
  readonly startMs: number;
}

export const VHOSTS_LOG: VhostsLogSettings = {
  seed: 8080,
  files: 200,
  lines: 1_000_000,
  exponent: 1.5,
  offset: 2,
  clients: 60_000,
  crawlers: 120,
  ipv6Share: 0.2,
  startMs: Date.UTC(2026, 10, 20),
};

export interface VhostsFile {
  /** `www.site-NNN.example` */
  readonly host: string;
  /** `www.site-NNN.example.access.log` */
  readonly name: string;
  readonly lines: number;
}

/**
 * The files of the vhosts log, by name, and their line counts (from the settings alone, nothing is read): sizes by
 * rank follow the power law, each within ±10 %, the largest takes what rounding leaves so that they add up to
 * `lines`; which host gets which rank is shuffled.
 */
export function vhostsFiles(settings: VhostsLogSettings = VHOSTS_LOG): VhostsFile[] {
  const random = xoshiro(settings.seed);
  const weights = Array.from(
    { length: settings.files },
    (_, rank) => (rank + 1 + settings.offset) ** -settings.exponent * (rank === 0 ? 1 : 0.9 + 0.2 * random()),
  );
  const sum = weights.reduce((a, b) => a + b, 0);
  const byRank = weights.map((w) => Math.max(1, Math.round((w / sum) * settings.lines)));
  byRank[0] = (byRank[0] as number) + settings.lines - byRank.reduce((a, b) => a + b, 0);
  const hosts = Array.from({ length: settings.files }, (_, i) => i + 1);
  for (let i = hosts.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [hosts[i], hosts[j]] = [hosts[j] as number, hosts[i] as number];
  }
  return hosts
    .map((number, rank) => {
      const host = `www.site-${String(number).padStart(3, "0")}.example`;
      return { host, name: `${host}.access.log`, lines: byRank[rank] as number };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

interface HostedSite {
  readonly kind: SiteKind;
  readonly pages: readonly string[];
  readonly assets: readonly string[];
  /** Other sites that link here. */
  readonly backlinks: readonly string[];
  /** Where this host's most frequent visitors start in the shared pool. */
  readonly offset: number;
  readonly http2: boolean;
}

function hostedSite(random: () => number, lines: number, clients: number): HostedSite {
  const kind = choose(random, SITE_KINDS);
  const int = (n: number): number => Math.floor(random() * n);
  const slug = (): string =>
    `${choose(random, WORDS)}-${choose(random, WORDS)}${random() < 0.5 ? `-${int(100)}` : ""}`;
  const page = (): string => {
    switch (kind) {
      case "blog":
        return random() < 0.1
          ? `/category/${choose(random, WORDS)}/`
          : `/2026/${two(1 + int(11))}/${slug()}/`;
      case "shop":
        return random() < 0.2
          ? `/category/${choose(random, WORDS)}${random() < 0.3 ? `?page=${2 + int(8)}` : ""}`
          : `/product/${slug()}-${1000 + int(9000)}`;
      case "docs":
        return `/docs/v${1 + int(3)}/${choose(random, WORDS)}/${slug()}.html`;
      case "news":
        return `/${choose(random, WORDS)}/2026-11-${two(1 + int(20))}-${slug()}.html`;
      case "forum":
        return random() < 0.15
          ? `/members/${choose(random, WORDS)}${int(5000)}/`
          : `/thread/${int(60_000)}-${slug()}/`;
      case "company":
        return `/${choose(random, ["about", "services", "team", "contact", "jobs", "references"])}/${random() < 0.5 ? slug() : ""}`;
    }
  };
  const pages = ["/", ...Array.from({ length: Math.min(5000, 10 + Math.floor(lines / 30)) }, page)];
  const theme = choose(random, WORDS);
  const assets =
    kind === "blog" || kind === "news"
      ? [
          `/wp-content/themes/${theme}/style.css`,
          "/wp-includes/js/jquery/jquery.min.js",
          `/wp-content/themes/${theme}/js/main.js`,
          ...Array.from({ length: 12 }, () => `/wp-content/uploads/2026/${two(1 + int(11))}/${slug()}.jpg`),
          "/favicon.ico",
        ]
      : [
          `/static/${int(0xffffff).toString(16)}/app.js`,
          `/static/${int(0xffffff).toString(16)}/app.css`,
          `/img/${theme}-logo.svg`,
          ...Array.from({ length: 10 }, () => `/media/${slug()}.webp`),
          "/fonts/inter-var.woff2",
          "/favicon.ico",
        ];
  const backlinks = Array.from(
    { length: 2 + int(6) },
    () =>
      `https://${choose(random, ["www", "blog", "forum"])}.${choose(random, WORDS)}${int(900)}.example/${slug()}`,
  );
  return { kind, pages, assets, backlinks, offset: int(clients), http2: random() < 0.6 };
}

/** Writes the vhosts log: one file per host into `dir` (emptied first), each in time order over one day. */
export async function writeVhostsLogs(dir: string, settings: VhostsLogSettings = VHOSTS_LOG): Promise<void> {
  const files = vhostsFiles(settings);
  const random = xoshiro(settings.seed + 1);
  const clients = Array.from({ length: settings.clients }, (_, i) => ({
    ip: random() < settings.ipv6Share ? ipv6(random) : ipv4(random),
    agent:
      i < settings.crawlers
        ? choose(random, HOSTED_BOTS)
        : (HOSTED_AGENTS[skewed(random, HOSTED_AGENTS.length)] as string),
  }));
  const visitors = settings.clients - settings.crawlers;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    const site = hostedSite(random, file.lines, visitors);
    const self = `https://${file.host}`;
    const sink = new LineSink(join(dir, file.name));
    const stepMs = 86_000_000 / file.lines;
    for (let i = 0; i < file.lines; i++) {
      const ms = settings.startMs + Math.floor((i + random()) * stepMs);
      const roll = random();
      let client: (typeof clients)[number];
      let path: string;
      let referrer = "-";
      let status: number;
      let method = "GET";
      if (roll < 0.1) {
        // A crawler: the same few bots on every host.
        client = clients[skewed(random, settings.crawlers)] as (typeof clients)[number];
        const r = random();
        path =
          r < 0.04
            ? "/robots.txt"
            : r < 0.07
              ? "/sitemap.xml"
              : (site.pages[skewed(random, site.pages.length)] as string);
        status = random() < 0.93 ? 200 : random() < 0.7 ? 404 : 301;
      } else {
        // A visitor: each host has its own regulars in the shared pool.
        const at = (site.offset + skewed(random, visitors)) % visitors;
        client = clients[settings.crawlers + at] as (typeof clients)[number];
        if (roll < 0.11) {
          path = choose(random, PROBES);
          status = site.kind === "blog" && path.startsWith("/wp-login") ? 200 : 404;
          method = random() < 0.3 ? "POST" : "GET";
        } else if (roll < 0.5) {
          path = choose(random, site.assets);
          referrer = `${self}${site.pages[skewed(random, site.pages.length)]}`;
          status = random() < 0.3 ? 304 : random() < 0.98 ? 200 : 404;
        } else {
          path = site.pages[skewed(random, site.pages.length)] as string;
          const r = random();
          referrer =
            r < 0.35
              ? "-"
              : r < 0.6
                ? choose(random, SEARCH_REFERRERS)
                : r < 0.85
                  ? `${self}${site.pages[skewed(random, site.pages.length)]}`
                  : r < 0.93
                    ? choose(random, site.backlinks)
                    : choose(random, SOCIAL_REFERRERS);
          const s = random();
          status = s < 0.9 ? 200 : s < 0.95 ? 304 : s < 0.98 ? 404 : s < 0.995 ? 301 : 500;
          if ((site.kind === "shop" || site.kind === "forum") && random() < 0.04) method = "POST";
        }
      }
      const bytes = status === 304 ? 0 : status === 301 ? 162 : 300 + Math.floor(random() * 80_000);
      const protocol = site.http2 ? "HTTP/2.0" : "HTTP/1.1";
      await sink.push(
        `${client.ip} - - ${clfTime(ms)} "${method} ${path} ${protocol}" ${status} ${bytes} "${referrer}" "${client.agent}"`,
      );
    }
    await sink.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** Generates `path` with `write` unless it exists with the same settings (kept in `<path>.json`). */
export async function ensureGenerated(
  path: string,
  settings: unknown,
  write: () => Promise<void>,
): Promise<boolean> {
  const marker = `${path}.json`;
  const wanted = JSON.stringify(settings);
  if (existsSync(path) && existsSync(marker) && (await readFile(marker, "utf8")) === wanted) return false;
  await write();
  await writeFile(marker, wanted);
  return true;
}
