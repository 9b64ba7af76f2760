import { isbot, isbotMatch } from "isbot";

/**
 * Bot classification from the user agent alone.
 *
 * Our definition (docs/BOTS.md): a request comes from a bot when its user agent is not that of a person's
 * interactive browser. That covers crawlers and spiders, link-preview fetchers, monitors and scanners, HTTP
 * libraries and command-line tools, headless and automated browsers, and requests with no user agent at all.
 * In-app browsers (Instagram, Facebook), WebViews and desktop apps are people. isbot's pattern list is the
 * baseline; the rules here add what it misses and say *why*, from a closed list.
 */
export const BOT_REASONS = [
  "empty_ua", // no user agent, `-`, or only blanks
  "malformed", // no browser sends it: control characters, injection payloads, longer than 1,024 characters
  "headless", // a headless or automated browser (HeadlessChrome, PhantomJS, Puppeteer, Playwright, Lighthouse)
  "library", // an HTTP library or command-line tool (curl, Wget, python-requests, Go-http-client, okhttp, ...)
  "self_declared", // the agent says it is a bot: bot/crawler/spider in its name, or a `+http` info URL
  "isbot_pattern", // matched by isbot's list of known non-browser patterns, nothing more specific applies
] as const;
export type BotReason = (typeof BOT_REASONS)[number];

export interface BotVerdict {
  readonly isBot: boolean;
  /** Why, for bots; null for people. */
  readonly reason: BotReason | null;
  /** The bot's family name (`Googlebot`, `curl`), when it can be read from the agent; null otherwise. */
  readonly name: string | null;
}

export const HUMAN: BotVerdict = Object.freeze({ isBot: false, reason: null, name: null });

/** Agents longer than this are not browsers (the longest in-app browser agents are around 500 characters). */
export const MAX_BROWSER_UA_LENGTH = 1024;

// Every pattern below is linear: alternations of literals, no nested quantifiers (checked with recheck in tests).

/** Injection payloads scanners put in the user agent: shellshock, log4shell, PHP, script tags, path traversal. */
const ATTACK_FRAGMENTS: readonly string[] = [
  "() {",
  "(){",
  "${",
  "<?",
  "<script",
  "/etc/passwd",
  "../../",
  "pg_sleep(",
  "waitfor delay",
  "sleep(",
];

/** SQL in the agent (tested on the lower-cased agent). */
const ATTACK_SQL = /union\s+(?:all\s+)?select|select\s+[\w*(),]+\s+from/;

function looksLikeAttack(ua: string): boolean {
  const lower = ua.toLowerCase();
  for (const fragment of ATTACK_FRAGMENTS) if (lower.includes(fragment)) return true;
  return ATTACK_SQL.test(lower);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this looks for
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const HEADLESS =
  /(HeadlessChrome|Chrome-Lighthouse|Lighthouse|PhantomJS|SlimerJS|Puppeteer|Playwright|Selenium|WebDriver|Cypress|jsdom|Splash|HtmlUnit|ZombieJS|Nightmare)/i;

/** HTTP libraries and tools, as the first product token of the agent. */
const LIBRARY =
  /^(curl|Wget|libcurl|PycURL|python-requests|python-urllib3?|Python-urllib|python-httpx|python|aiohttp|httpx|Scrapy|Go-http-client|Go|Java|Apache-HttpClient|Jakarta Commons-HttpClient|okhttp|axios|node-fetch|node|undici|got|Deno|Bun|libwww-perl|lwp-trivial|LWP::Simple|PHP|GuzzleHttp|Guzzle|WordPress|Ruby|Faraday|http\.rb|rest-client|Typhoeus|Mechanize|RestSharp|PostmanRuntime|insomnia|HTTPie|Dart|reqwest|colly|WinHttp|WinHTTP|WindowsPowerShell|PowerShell|Wget2|aria2|HTTrack|lua-resty-http|ReactorNetty|Apache-CXF|Embarcadero URI Client|Indy Library|Zend_Http_Client|fasthttp|hackney|Hackney|Elixir|Swift|CFNetwork-free|Nutch)(?=[\s/;(]|$)/i;

/** A self-declared bot: its name says so, or it leaves an info URL the way crawlers do (`+http://…`). */
const SELF_DECLARED = /bot\b|bot[/_-]|crawl|spider|slurp|scrap|fetcher|archiver|\+https?:\/\//i;

/** The word inside the token that names a self-declared bot: `Googlebot`, `bingbot`, `Baiduspider`, `360Spider`. */
const BOT_WORD = /bot|crawler|spider|slurp|fetcher|archiver/i;

/** `(compatible; Name/1.0; +http://…)`: the name of most crawlers that dress as browsers. */
const COMPATIBLE_TOKEN = /compatible;\s*(?!MSIE)([A-Za-z][A-Za-z0-9_-]*)(?:\/|;|\s)/;

/** The first product token of an agent that does not pretend to be Mozilla (`facebookexternalhit/1.1`). */
const FIRST_TOKEN = /^([A-Za-z][A-Za-z0-9_-]*)(?:[/\s;(]|$)/;

/** Canonical spelling of well-known families, so `googlebot` and `Googlebot` count as one. */
const CANONICAL_NAMES: ReadonlyMap<string, string> = new Map(
  [
    "Googlebot",
    "Googlebot-Image",
    "Googlebot-Video",
    "Google-InspectionTool",
    "AdsBot-Google",
    "Mediapartners-Google",
    "bingbot",
    "BingPreview",
    "msnbot",
    "AdIdxBot",
    "Applebot",
    "DuckDuckBot",
    "YandexBot",
    "YandexImages",
    "Baiduspider",
    "Sogou",
    "Bytespider",
    "PetalBot",
    "SeznamBot",
    "Qwantify",
    "AhrefsBot",
    "SemrushBot",
    "MJ12bot",
    "DotBot",
    "BLEXBot",
    "DataForSeoBot",
    "rogerbot",
    "GPTBot",
    "ChatGPT-User",
    "OAI-SearchBot",
    "ClaudeBot",
    "Claude-Web",
    "anthropic-ai",
    "PerplexityBot",
    "CCBot",
    "Amazonbot",
    "facebookexternalhit",
    "meta-externalagent",
    "Twitterbot",
    "LinkedInBot",
    "Slackbot",
    "Discordbot",
    "TelegramBot",
    "WhatsApp",
    "Pinterestbot",
    "redditbot",
    "UptimeRobot",
    "curl",
    "Wget",
    "python-requests",
    "Go-http-client",
    "okhttp",
    "HeadlessChrome",
  ].map((name) => [name.toLowerCase(), name]),
);

const MAX_NAME_LENGTH = 40;

/**
 * A name is only kept when it cannot carry a person's data into the events zone: letters, digits, `-` and `_`
 * (no dots or colons, so no dotted or colon-separated address), at least two letters, at most 4 digits (no
 * decimal address, account or phone number) and no run of 8 hex digits (a hex address or a token).
 */
export function safeName(candidate: string | undefined): string | null {
  if (candidate === undefined || candidate.length === 0 || candidate.length > MAX_NAME_LENGTH) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(candidate)) return null;
  if (!/[A-Za-z].*[A-Za-z]/.test(candidate)) return null;
  if (/(?:\d\D*){5}/.test(candidate) || /[0-9a-f]{8}/i.test(candidate)) return null;
  return CANONICAL_NAMES.get(candidate.toLowerCase()) ?? candidate;
}

/** Words that appear in agents but name no bot. */
const NOT_A_NAME = new Set(
  "mozilla compatible http https www com net org the your test user agent useragent client server ipad iphone android windows linux macintosh x11 chrome safari firefox applewebkit gecko khtml like mobile version get post head".split(
    " ",
  ),
);

function nameOf(candidate: string | undefined): string | null {
  const name = safeName(candidate);
  return name === null || NOT_A_NAME.has(name.toLowerCase()) ? null : name;
}

/** Widens a matched fragment to the whole product token around it (`Catchpoint` from `catchpoint`). */
function tokenAround(ua: string, fragment: string | null): string | undefined {
  if (fragment === null || fragment.length === 0) return undefined;
  const at = ua.indexOf(fragment);
  if (at < 0) return undefined;
  const isTokenChar = (c: number) =>
    (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 45 || c === 95;
  let start = at;
  let end = at + fragment.length;
  while (start > 0 && isTokenChar(ua.charCodeAt(start - 1))) start--;
  while (start < end && !isTokenChar(ua.charCodeAt(start))) start++;
  end = start;
  while (end < ua.length && isTokenChar(ua.charCodeAt(end))) end++;
  return ua.slice(start, end);
}

function botName(ua: string): string | null {
  return (
    nameOf(tokenAround(ua, BOT_WORD.exec(ua)?.[0] ?? null)) ??
    nameOf(COMPATIBLE_TOKEN.exec(ua)?.[1]) ??
    nameOf(tokenAround(ua, isbotMatch(ua))) ??
    (/^mozilla\//i.test(ua) ? null : nameOf(FIRST_TOKEN.exec(ua)?.[1]))
  );
}

/** The patterns above, for the ReDoS audit in the tests (each must be linear in the length of the agent). */
export const BOT_PATTERNS: Readonly<Record<string, RegExp>> = Object.freeze({
  ATTACK_SQL,
  CONTROL,
  HEADLESS,
  LIBRARY,
  SELF_DECLARED,
  BOT_WORD,
  COMPATIBLE_TOKEN,
  FIRST_TOKEN,
});

function verdict(reason: BotReason, name: string | null): BotVerdict {
  return { isBot: true, reason, name };
}

function isEmpty(ua: string): boolean {
  const trimmed = ua.trim();
  return trimmed.length === 0 || trimmed === "-" || trimmed === '"-"';
}

/**
 * Classifies one user agent. Pure and deterministic; callers on the hot path cache the verdict per agent
 * (see enrich.ts). A null agent (the log had none) is a bot with reason `empty_ua`.
 */
export function classifyBot(ua: string | null): BotVerdict {
  if (ua === null || isEmpty(ua)) return verdict("empty_ua", null);
  if (ua.length > MAX_BROWSER_UA_LENGTH || CONTROL.test(ua) || looksLikeAttack(ua))
    return verdict("malformed", null);

  const headless = HEADLESS.exec(ua);
  if (headless !== null) return verdict("headless", nameOf(headless[1]));

  const library = LIBRARY.exec(ua);
  if (library !== null) return verdict("library", nameOf(library[1]?.replaceAll(" ", "-")));

  if (!isbot(ua)) return HUMAN;
  return verdict(SELF_DECLARED.test(ua) ? "self_declared" : "isbot_pattern", botName(ua));
}
