/**
 * A seeded generator of realistic web server traffic in Apache/nginx combined format: human visitors over
 * IPv4 and IPv6 with real browser user agents, Zipf-distributed pages that pull their assets, referrers and
 * campaigns, crawlers, scanners and a login brute force, and a small share of malformed lines.
 *
 * The same seed gives the same lines, so the demo, the tests and `npm run bench` all work on reproducible
 * data. Lines are yielded one by one: generating 4 million lines needs no more memory than generating ten.
 */

export interface SampleLogOptions {
  readonly seed: number;
  readonly lines: number;
  /** Epoch ms of the first request. */
  readonly startMs: number;
  /** Time span the requests are spread over. */
  readonly spanMs: number;
  /** Distinct clients (an address plus a user agent). */
  readonly clients: number;
  /** Share of lines that are malformed (0.001 = 0.1 %). */
  readonly malformedShare: number;
  /**
   * Browsers in the versions and on the devices real traffic shows (several hundred distinct user agents: Chrome,
   * Edge, Firefox, Safari and Samsung Internet over a range of releases, Android phones and tablets by model)
   * instead of a dozen fixed agents. Off by default: the same seed then gives the same lines as before.
   */
  readonly varietyOfAgents?: boolean;
}

/** mulberry32: a small, fast, well-distributed PRNG; good enough for test data, never for secrets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HUMAN_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36",
  "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
];

const CRAWLERS: readonly { ua: string; prefix: string }[] = [
  { ua: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", prefix: "66.249.66." },
  { ua: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", prefix: "40.77.167." },
  { ua: "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", prefix: "54.36.148." },
  { ua: "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", prefix: "213.180.203." },
  { ua: "curl/8.5.0", prefix: "91.198.174." },
  { ua: "python-requests/2.32.3", prefix: "185.220.101." },
];

const SCANNER_TARGETS = [
  "/.env",
  "/wp-login.php",
  "/.git/config",
  "/phpmyadmin/index.php",
  "/cgi-bin/../../../../etc/passwd",
  "/index.php?id=1%27%20OR%20%271%27=%271",
  "/admin/config.php",
  "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
];

const REFERRERS = [
  "https://www.google.com/",
  "https://www.google.de/",
  "https://www.bing.com/search?q=logsieve",
  "https://duckduckgo.com/",
  "https://t.co/x1y2z3",
  "https://news.ycombinator.com/item?id=42",
  "https://www.reddit.com/r/privacy/",
  "https://mastodon.social/@someone",
];

const CAMPAIGNS = [
  "?utm_source=newsletter&utm_medium=email&utm_campaign=autumn-sale",
  "?utm_source=mastodon&utm_medium=social&utm_campaign=launch",
  "?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=Cj0KCQiA-demo",
  "?utm_source=partner-blog&utm_medium=referral",
];

/** Public address blocks of several countries' providers, so the country breakdown shows something. */
const IPV4_BLOCKS = [
  "79.192.",
  "91.64.",
  "84.128.",
  "217.229.",
  "82.64.",
  "90.112.",
  "86.160.",
  "81.2.",
  "24.48.",
  "73.162.",
  "151.38.",
  "83.52.",
  "145.118.",
  "62.178.",
];
const IPV6_BLOCKS = ["2a02:8108:", "2003:e4:", "2a01:e0a:", "2600:1700:", "2a00:23c5:", "2001:1c00:"];

const PAGE_COUNT = 400;

interface Client {
  readonly ip: string;
  readonly ua: string;
}

const ANDROID_MODELS = [
  "SM-S918B",
  "SM-S911B",
  "SM-A546B",
  "SM-A145R",
  "SM-G991B",
  "Pixel 7",
  "Pixel 8 Pro",
  "Pixel 6a",
  "2201116SG",
  "M2101K6G",
  "CPH2451",
  "moto g54 5G",
  "ONEPLUS A6013",
  "RMX3371",
  "SM-X700",
  "SM-T970",
];

/** A release between `oldest` and `newest`, recent ones more likely (people update, not all at once). */
function release(random: () => number, oldest: number, newest: number): number {
  const span = newest - oldest + 1;
  return newest - Math.min(span - 1, Math.floor(span * random() * random()));
}

/** A browser user agent as real traffic has them: vendor, release, platform and device vary. */
function variedAgent(random: () => number): string {
  const roll = random();
  const chrome = release(random, 116, 131);
  if (roll < 0.34) {
    const platform = pick(random, [
      "Windows NT 10.0; Win64; x64",
      "Windows NT 10.0; Win64; x64",
      "Macintosh; Intel Mac OS X 10_15_7",
      "X11; Linux x86_64",
      "X11; CrOS x86_64 14541.0.0",
    ]);
    return `Mozilla/5.0 (${platform}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chrome}.0.0.0 Safari/537.36`;
  }
  if (roll < 0.42) {
    // Edge sends its full version: one build per release, a handful of patch levels.
    const build = 2000 + (chrome - 116) * 60;
    return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chrome}.0.0.0 Safari/537.36 Edg/${chrome}.0.${build}.${Math.floor(random() * 8) * 11}`;
  }
  if (roll < 0.52) {
    const firefox = random() < 0.15 ? 115 : release(random, 118, 133);
    const platform = pick(random, [
      "Windows NT 10.0; Win64; x64",
      "Macintosh; Intel Mac OS X 10.15",
      "X11; Ubuntu; Linux x86_64",
      "X11; Linux x86_64",
    ]);
    return `Mozilla/5.0 (${platform}; rv:${firefox}.0) Gecko/20100101 Firefox/${firefox}.0`;
  }
  if (roll < 0.6) {
    const major = release(random, 16, 18);
    const minor = Math.floor(random() * 6);
    return `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${major}.${minor} Safari/605.1.15`;
  }
  if (roll < 0.78) {
    const major = release(random, 16, 18);
    const minor = Math.floor(random() * 7);
    const device =
      random() < 0.85 ? `iPhone; CPU iPhone OS ${major}_${minor}` : `iPad; CPU OS ${major}_${minor}`;
    return `Mozilla/5.0 (${device} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${major}.${minor} Mobile/15E148 Safari/604.1`;
  }
  const android = release(random, 10, 14);
  const model = pick(random, ANDROID_MODELS);
  const tablet = model.startsWith("SM-X") || model.startsWith("SM-T");
  if (random() < 0.2) {
    const samsung = release(random, 22, 26);
    return `Mozilla/5.0 (Linux; Android ${android}; ${model}) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/${samsung}.0 Chrome/115.0.0.0 ${tablet ? "" : "Mobile "}Safari/537.36`;
  }
  if (random() < 0.7) {
    // Chrome's reduced user agent: no model, a frozen Android version, the major release only.
    return `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chrome}.0.0.0 ${tablet ? "" : "Mobile "}Safari/537.36`;
  }
  const build = 5800 + (chrome - 116) * 50;
  return `Mozilla/5.0 (Linux; Android ${android}; ${model}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chrome}.0.${build}.${Math.floor(random() * 10) * 10} ${tablet ? "" : "Mobile "}Safari/537.36`;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function hex4(random: () => number): string {
  return Math.floor(random() * 0x10000).toString(16);
}

function makeClients(random: () => number, count: number, varied: boolean): Client[] {
  const clients: Client[] = [];
  for (let i = 0; i < count; i++) {
    const ua = varied ? variedAgent(random) : pick(random, HUMAN_AGENTS);
    if (random() < 0.22) {
      const block = pick(random, IPV6_BLOCKS);
      clients.push({ ip: `${block}${hex4(random)}:${hex4(random)}:${hex4(random)}::${hex4(random)}`, ua });
    } else {
      const block = pick(random, IPV4_BLOCKS);
      clients.push({ ip: `${block}${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`, ua });
    }
  }
  return clients;
}

/** Page paths with Zipf-like popularity: page i is drawn with weight 1/(i+1). */
function makePages(): string[] {
  const sections = ["blog", "docs", "products", "about", "pricing", "support", "careers", "news"];
  const pages = ["/"];
  for (let i = 1; i < PAGE_COUNT; i++) {
    const section = sections[i % sections.length] as string;
    pages.push(i < sections.length ? `/${section}/` : `/${section}/article-${i}`);
  }
  return pages;
}

function zipfSampler(random: () => number, n: number): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + 1);
    cumulative[i] = sum;
  }
  return () => {
    const target = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function clfTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())} +0000`;
}

function combinedLine(
  ip: string,
  ms: number,
  method: string,
  target: string,
  status: number,
  bytes: number,
  referrer: string,
  ua: string,
): string {
  return `${ip} - - [${clfTime(ms)}] "${method} ${target} HTTP/1.1" ${status} ${bytes} "${referrer}" "${ua}"`;
}

const MALFORMED = [
  (ms: number) =>
    `[${new Date(ms).toUTCString()}] [error] [client 10.0.0.1] File does not exist: /var/www/favicon.ico`,
  () => "this is not a log line at all",
  (ms: number, line: string) => line.slice(0, 20 + (ms % 30)),
  () => '203.0.113.9 - - [99/Foo/2026:99:99:99 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',
  () => "\u0000\u0000garbage\u001b[31m",
];

/** Yields `options.lines` combined-format lines in time order. */
export function* generateSampleLog(options: SampleLogOptions): Generator<string> {
  for (const entry of generateSampleEntries(options)) yield entry.text;
}

/**
 * The lines of {@link generateSampleLog} with the generator's clock when each was made (it only moves forward; a
 * page's assets carry a few milliseconds more): cutting at a time gives a prefix of the same log, as a server's
 * log at an earlier moment is a prefix of its log later.
 */
export function* generateSampleEntries(options: SampleLogOptions): Generator<{ text: string; ms: number }> {
  const random = seededRandom(options.seed);
  const clients = makeClients(random, options.clients, options.varietyOfAgents === true);
  const pages = makePages();
  const nextPage = zipfSampler(random, pages.length);
  const step = options.spanMs / Math.max(1, options.lines);
  const scannerIps = ["198.51.100.23", "203.0.113.77", "2001:db8:dead:beef::66"];
  let emitted = 0;
  let ms = options.startMs;
  let lastGood = "";

  while (emitted < options.lines) {
    ms += step * (0.5 + random());
    const roll = random();
    if (roll < options.malformedShare) {
      yield {
        text: (pick(random, MALFORMED) as (ms: number, line: string) => string)(Math.floor(ms), lastGood),
        ms,
      };
      emitted++;
      continue;
    }
    if (roll < 0.1) {
      // a crawler fetching a page or robots.txt
      const crawler = pick(random, CRAWLERS);
      const ip = `${crawler.prefix}${1 + Math.floor(random() * 254)}`;
      const target = random() < 0.1 ? "/robots.txt" : (pages[nextPage()] as string);
      lastGood = combinedLine(
        ip,
        ms,
        "GET",
        target,
        200,
        2000 + Math.floor(random() * 30000),
        "-",
        crawler.ua,
      );
      yield { text: lastGood, ms };
      emitted++;
      continue;
    }
    if (roll < 0.115) {
      // a scanner probing for weaknesses, or a brute force on the login page
      const ip = pick(random, scannerIps);
      const brute = random() < 0.4;
      const target = brute ? "/wp-login.php" : pick(random, SCANNER_TARGETS);
      const status = brute ? (random() < 0.98 ? 401 : 200) : random() < 0.9 ? 404 : 403;
      const ua = brute ? "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" : "Mozilla/5.0 zgrab/0.x";
      lastGood = combinedLine(
        ip,
        ms,
        brute ? "POST" : "GET",
        target,
        status,
        150 + Math.floor(random() * 300),
        "-",
        ua,
      );
      yield { text: lastGood, ms };
      emitted++;
      continue;
    }
    // a human page view, followed by some of its assets
    const client = clients[Math.floor(random() * clients.length)] as Client;
    const pageIndex = nextPage();
    const page = pages[pageIndex] as string;
    const landing = random() < 0.06 ? pick(random, CAMPAIGNS) : "";
    const referrer = random() < 0.35 ? pick(random, REFERRERS) : "-";
    const missing = pageIndex > PAGE_COUNT - 8;
    const status = missing ? 404 : random() < 0.005 ? 500 : random() < 0.03 ? 301 : 200;
    lastGood = combinedLine(
      client.ip,
      ms,
      random() < 0.97 ? "GET" : "HEAD",
      page + landing,
      status,
      status === 200 ? 8000 + Math.floor(random() * 60000) : 300,
      referrer,
      client.ua,
    );
    yield { text: lastGood, ms };
    emitted++;
    const assets = status === 200 ? Math.floor(random() * 3) : 0;
    for (let a = 0; a < assets && emitted < options.lines; a++) {
      const asset = pick(random, ["/static/app.css", "/static/app.js", "/img/logo.svg", "/img/hero.webp"]);
      const cached = random() < 0.4;
      const text = combinedLine(
        client.ip,
        ms + 40 * (a + 1),
        "GET",
        asset,
        cached ? 304 : 200,
        cached ? 0 : 1500 + Math.floor(random() * 40000),
        `https://example.com${page}`,
        client.ua,
      );
      yield { text, ms };
      emitted++;
    }
  }
}
