import { type Event, event, type SecurityRecord, securityRecord, seeded } from "./fixture-lake.ts";

/**
 * Deterministic generated traffic over two days and two sites, with every kind of row the rollups distinguish:
 * pages with many and with few visitors, assets, HEAD/POST, 301/304/404/500 and a missing status, bots with
 * and without a family name, anonymous-tier rows without visitor id, referrers, campaigns, collector page views
 * and custom events with properties. Each visitor's requests follow each other by seconds to minutes, sometimes
 * after a pause of more than 30 minutes (a new visit), and pile up at the end of the day (equal times), so visits,
 * bounces, durations, entry and exit pages are exercised. Expected numbers come from support/reference.ts, never
 * from the SQL.
 */

export const DAYS = ["2026-03-01", "2026-03-02"] as const;
export const SITES = ["example.com", "shop.example", "tiny.example"] as const;

/**
 * The configuration's goals for the fixture: an event goal, page goals with and without a wildcard, a goal only the
 * rotating attacker reaches (folded), a goal of the wildcard-escaping kind that must not match (`_` is literal), and
 * goals for a second site.
 */
export const GOALS = {
  "example.com": [
    { name: "Signup", event: "signup" },
    { name: "Pricing", page: "/pricing" },
    { name: "Blog", page: "/blog/*" },
    { name: "Rare goal", page: "/rare-goal" },
    { name: "Underscore", page: "/docs_install*" },
    { name: "Evil", event: "EvilEvent" },
  ],
  "shop.example": [{ name: "Any page", page: "/*" }],
} as const;

const PATHS = [
  "/",
  "/pricing",
  "/blog/a",
  "/blog/b",
  "/about",
  "/contact",
  "/docs",
  "/docs/install",
  "/rare-1",
  "/rare-2",
];
const BROWSERS = [
  ["Firefox", "Linux", "desktop"],
  ["Chrome", "Windows", "desktop"],
  ["Safari", "iOS", "mobile"],
  ["Chrome", "Android", "tablet"],
  [null, null, "other"],
] as const;
const COUNTRIES = ["DE", "DE", "FR", "AT", "US", null] as const;
const REFERRERS = [null, null, "www.google.com", "news.ycombinator.com", "example.com"] as const;
const CAMPAIGNS = [
  ["newsletter", "email", "spring"],
  ["twitter", "social", null],
  [null, "cpc", "brand"],
] as const;

export function generateEvents(seed = 7): Event[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const events: Event[] = [];
  for (const [dayIndex, day] of DAYS.entries()) {
    const dayStart = Date.parse(`${day}T00:00:00Z`);
    for (const site of SITES) {
      // tiny.example has fewer people a day than k: its day must be folded into the (other) site in stats/.
      const visitors = site === "example.com" ? 40 : site === "shop.example" ? 12 : 3;
      for (let v = 0; v < visitors; v++) {
        const [browser, os, device] = pick(BROWSERS);
        const country = pick(COUNTRIES);
        // Ids differ per day (daily salt) and per site; some visitors are anonymous (no id at all).
        const anonymous = v % 9 === 4;
        const visitorId = anonymous
          ? null
          : BigInt(dayIndex * 10_000 + SITES.indexOf(site) * 3_000 + v) * 7919n - 3n;
        const campaign = v % 6 === 0 ? pick(CAMPAIGNS) : null;
        // Visitor 1 comes shortly before midnight with many requests: they pile up at the day's last second.
        const requests = v === 1 ? 8 : 1 + Math.floor(random() * 6);
        let ts = v === 1 ? dayStart + 86_000_000 : dayStart + Math.floor(random() * 86_399) * 1000;
        for (let r = 0; r < requests; r++) {
          if (r > 0) {
            // Mostly seconds to minutes apart; sometimes a pause of over 30 minutes; a few at exactly 30 minutes
            // (still the same visit); never past the end of the day (later requests share its last second).
            const pause = random();
            const seconds =
              pause < 0.15
                ? 1801 + Math.floor(random() * 7200)
                : pause < 0.2
                  ? 1800
                  : Math.floor(random() * 600);
            ts = Math.min(ts + seconds * 1000, dayStart + 86_399_000);
          }
          // Popular pages first: the rare ones get few visitors and must be folded.
          const path = random() < 0.985 ? (PATHS[Math.floor(random() * random() * 8)] as string) : "/rare-2";
          const roll = random();
          const base: Partial<Event> = {
            site,
            path,
            browser,
            os,
            device,
            country,
            visitor_id: visitorId,
            ip_prefix: anonymous ? null : `198.51.${v}.0/24`,
            consent_tier: anonymous ? "anonymous" : "statistics",
            browser_major: anonymous ? null : "100",
            referrer_host: r === 0 ? pick(REFERRERS) : site,
            utm_source: r === 0 && campaign ? campaign[0] : null,
            utm_medium: r === 0 && campaign ? campaign[1] : null,
            utm_campaign: r === 0 && campaign ? campaign[2] : null,
            bytes: 200 + Math.floor(random() * 50_000),
          };
          if (roll < 0.6) events.push(event({ ts, ...base }));
          else if (roll < 0.7)
            events.push(event({ ts, ...base, path: "/static/app.js", is_asset: true, referrer_host: site }));
          else if (roll < 0.74) events.push(event({ ts, ...base, status: 304, bytes: 0 }));
          else if (roll < 0.77) events.push(event({ ts, ...base, method: "HEAD", bytes: 0 }));
          else if (roll < 0.8) events.push(event({ ts, ...base, method: "POST", path: "/contact" }));
          else if (roll < 0.84) events.push(event({ ts, ...base, status: 404, path: "/missing" }));
          else if (roll < 0.86) events.push(event({ ts, ...base, status: 500 }));
          else if (roll < 0.88) events.push(event({ ts, ...base, status: 301, bytes: 0 }));
          else if (roll < 0.89) events.push(event({ ts, ...base, status: null, bytes: 0 }));
          else if (roll < 0.95) {
            events.push(
              event({
                ts,
                ...base,
                source: "collector",
                event_name: "pageview",
                method: null,
                status: null,
                bytes: 0,
              }),
            );
          } else {
            // A custom event; most carry the properties the site allowlists (plan, and sometimes method).
            const plan = v % 4 === 3 ? null : v % 2 === 0 ? "pro" : "free";
            events.push(
              event({
                ts,
                ...base,
                source: "collector",
                event_name: "signup",
                method: null,
                status: null,
                bytes: 0,
                prop_key_1: plan === null ? null : "plan",
                prop_value_1: plan,
                prop_key_2: plan !== null && v % 3 === 0 ? "method" : null,
                prop_value_2: plan !== null && v % 3 === 0 ? "card" : null,
              }),
            );
          }
        }
      }
      // Most of example.com's identified visitors also sign up once, at the time of their last request, so the
      // goal and its properties have enough people to be shown.
      if (site === "example.com") {
        const lastOf = new Map<string, Event>();
        for (const e of events)
          if (e.site === site && e.visitor_id !== null && e.ts >= dayStart)
            lastOf.set(String(e.visitor_id), e);
        for (const [, last] of lastOf) {
          if (last.is_bot || Number(last.visitor_id) % 5 === 0) continue;
          const n = Number(last.visitor_id);
          events.push(
            event({
              ...last,
              source: "collector",
              event_name: "signup",
              method: null,
              status: null,
              bytes: 0,
              is_asset: false,
              prop_key_1: "plan",
              prop_value_1: n % 2 === 0 ? "pro" : "free",
              prop_key_2: n % 3 === 0 ? "method" : null,
              prop_value_2: n % 3 === 0 ? "card" : null,
            }),
          );
        }
      }
      // One anonymous page view of /rare-1 (no visitor id): too few people to show, however its views are counted.
      if (site === "example.com" && dayIndex === 0) {
        events.push(
          event({
            ts: dayStart + 43_200_000,
            site,
            path: "/rare-1",
            visitor_id: null,
            ip_prefix: null,
            consent_tier: "anonymous",
            browser_major: null,
          }),
        );
      }
      // Crawlers: counted as hits and unique clients, never as page views or visitors.
      for (let b = 0; b < 25; b++) {
        const named = b % 5 !== 0;
        events.push(
          event({
            ts: dayStart + Math.floor(random() * 86_399) * 1000,
            site,
            path: pick(PATHS),
            status: b % 7 === 0 ? 404 : 200,
            is_bot: true,
            bot_name: named ? pick(["Googlebot", "bingbot"]) : null,
            device: "bot",
            browser: null,
            os: null,
            visitor_id: BigInt(900_000 + b + dayIndex * 100),
            // Crawler farms spread over several networks.
            ip_prefix: `66.249.${b % 12}.0/24`,
          }),
        );
      }
      // One address rotating its user agent: six visitor ids (the id hashes the agent), one network. Its page,
      // referrer, campaign, browser and bot name must never surface above k, however many ids it makes.
      for (let a = 0; a < 6; a++) {
        const attack: Partial<Event> & Pick<Event, "ts"> = {
          ts: dayStart + 3_600_000 + a * 1000,
          site,
          path: "/<b>x</b>",
          referrer_host: "evil.example",
          utm_source: "=cmd|calc!A1",
          utm_medium: "email",
          utm_campaign: "attack",
          browser: `Rotating${a}`,
          visitor_id: BigInt(800_000 + a + dayIndex * 100 + SITES.indexOf(site) * 10),
          ip_prefix: "203.0.113.0/24",
        };
        events.push(event(attack));
        // ... and a custom event of its own making, with a property value of its choosing and a page goal's page.
        events.push(
          event({
            ...attack,
            ts: attack.ts + 1000,
            source: "collector",
            event_name: "EvilEvent",
            method: null,
            status: null,
            prop_key_1: "plan",
            prop_value_1: "=evil-plan",
          }),
        );
        events.push(event({ ...attack, ts: attack.ts + 2000, path: "/rare-goal" }));
        events.push(
          event({
            ...attack,
            ts: attack.ts,
            is_bot: true,
            bot_name: "EvilBot-alice@example.com",
            device: "bot",
            path: "/robots.txt",
          }),
        );
      }
    }
  }
  return events;
}

/** Security rows for two days: background traffic plus a talker, a burst, a brute force and scanners. */
export function generateSecurity(seed = 11): SecurityRecord[] {
  const random = seeded(seed);
  const rows: SecurityRecord[] = [];
  let line = 0;
  const add = (r: Partial<SecurityRecord> & Pick<SecurityRecord, "ts" | "client_ip">) =>
    rows.push(securityRecord({ line_no: ++line, ...r }));
  for (const day of DAYS) {
    const start = Date.parse(`${day}T00:00:00Z`);
    for (let i = 0; i < 200; i++) {
      add({
        ts: start + Math.floor(random() * 86_399) * 1000,
        client_ip: `192.0.2.${Math.floor(random() * 30)}`,
        target: pick(random, ["/", "/about", "/docs?page=2", "/blog/a"]),
        status: pick(random, [200, 200, 200, 304, 404]),
        bytes: Math.floor(random() * 10_000),
        country: pick(random, ["DE", "FR", null]),
        provider: pick(random, ["Example Telecom", "Hosting Inc", null]),
      });
    }
  }
  const day1 = Date.parse(`${DAYS[0]}T10:00:00Z`);
  // A heavy talker on IPv6 with a burst of 404s inside one minute.
  for (let i = 0; i < 60; i++) {
    add({
      ts: day1 + i * 500,
      client_ip: "2001:db8::7",
      target: `/probe/${i}`,
      status: i < 45 ? 404 : 503,
      country: "NL",
      provider: "Hosting Inc",
      user_agent: "python-requests/2.31",
    });
  }
  // Login brute force: 30 POSTs to /wp-login.php, 12 to /user/login?next=/ from another address.
  for (let i = 0; i < 30; i++) {
    add({
      ts: day1 + 3_600_000 + i * 2000,
      client_ip: "203.0.113.9",
      method: "POST",
      target: "/wp-login.php",
      status: 200,
    });
  }
  for (let i = 0; i < 12; i++) {
    add({
      ts: day1 + 7_200_000 + i * 5000,
      client_ip: "203.0.113.10",
      method: "POST",
      target: "/user/login?next=/",
      status: i === 11 ? 302 : 403,
      user_agent: i % 2 === 0 ? "curl/8" : "Mozilla/5.0",
    });
  }
  // Scanners: one target per signature, and a scanning user agent on an innocent path.
  const probes = [
    "/.env",
    "/.git/config",
    "/wp-admin/setup-config.php",
    "/static/..%2f..%2fetc/passwd",
    "/download?file=../../etc/shadow",
    "/items?id=1%20UNION%20SELECT%20password%20FROM%20users",
    "/search?q=%27%20or%20%271%27=%271",
    "/phpmyadmin/index.php",
    "/cgi-bin/test.cgi",
  ];
  for (const [i, target] of probes.entries()) {
    add({
      ts: day1 + 10_800_000 + i * 1000,
      client_ip: "198.51.100.66",
      target,
      status: i === 0 ? 200 : 404,
    });
  }
  add({
    ts: day1 + 11_000_000,
    client_ip: "198.51.100.67",
    target: "/",
    user_agent: "sqlmap/1.7 (https://sqlmap.org)",
  });
  return rows;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}
