import { UAParser } from "ua-parser-js";
import type { DeviceType } from "../types.ts";

/**
 * Browser, operating system and device class from a user agent, with ua-parser-js 1.x (MIT; 2.x is AGPL).
 * Only classes leave this module, never the agent itself, and every name is checked so that nothing the
 * visitor put in the agent (an address, an id) can reach the `events/` zone through a "browser name".
 */
export interface UserAgentClasses {
  readonly browser: string | null;
  readonly browserMajor: string | null;
  readonly os: string | null;
  /** Never "bot": that is decided by bots.ts and applied by the enricher. */
  readonly device: Exclude<DeviceType, "bot">;
}

export const UNKNOWN_AGENT: UserAgentClasses = Object.freeze({
  browser: null,
  browserMajor: null,
  os: null,
  device: "other",
});

/** Operating systems that only run on desktops and laptops, as ua-parser-js 1.x names them. */
const DESKTOP_OS: ReadonlySet<string> = new Set([
  "Windows",
  "Mac OS",
  "macOS",
  "Linux",
  "Ubuntu",
  "Debian",
  "Fedora",
  "Mint",
  "Arch",
  "Gentoo",
  "Slackware",
  "SUSE",
  "openSUSE",
  "Red Hat",
  "RedHat",
  "CentOS",
  "Mandriva",
  "Kubuntu",
  "Xubuntu",
  "Lubuntu",
  "Zenwalk",
  "Deepin",
  "elementary OS",
  "Manjaro",
  "Linspire",
  "Linpus",
  "PCLinuxOS",
  "Chromium OS",
  "Chrome OS",
  "FreeBSD",
  "OpenBSD",
  "NetBSD",
  "DragonFly",
  "Solaris",
  "Unix",
  "GNU",
  "Haiku",
  "BeOS",
  "OS/2",
  "AIX",
  "HP-UX",
  "Minix",
  "Plan9",
  "Morph OS",
  "AmigaOS",
  "RISC OS",
]);

/** ua-parser-js `device.type` → our class. Absent means "not a phone or tablet", decided by the OS. */
const DEVICE_CLASS: Readonly<Record<string, Exclude<DeviceType, "bot">>> = {
  mobile: "mobile",
  tablet: "tablet",
  smarttv: "other",
  wearable: "other",
  console: "other",
  embedded: "other",
  xr: "other",
};

const MAX_NAME_LENGTH = 40;

/**
 * A browser or OS name as ua-parser-js reports it, when it is a plain product name: letters first, no address
 * shape (a dotted quad, a colon), no long digit or hex run. Otherwise null: ua-parser-js builds some names from
 * pieces of the agent, which the visitor controls.
 */
export function safeProductName(name: string | undefined): string | null {
  if (name === undefined || name.length === 0 || name.length > MAX_NAME_LENGTH) return null;
  if (!/^[A-Za-z][A-Za-z0-9 ._!+/()-]*$/.test(name)) return null;
  if (/\d+\.\d+\.\d+|\d{5}|[0-9a-f]{8}/i.test(name)) return null;
  return name;
}

/** "Mobile Safari" is Safari on a phone: the device class already says "mobile". */
function browserFamily(name: string | undefined): string | null {
  const safe = safeProductName(name);
  return safe?.startsWith("Mobile ") ? safe.slice("Mobile ".length) : safe;
}

function majorVersion(major: string | undefined): string | null {
  return major !== undefined && /^\d{1,5}$/.test(major) ? major : null;
}

const parser = new UAParser();

/** Parses one agent (uncached: callers on the hot path go through the enricher's cache). */
export function parseUserAgent(ua: string | null): UserAgentClasses {
  if (ua === null || ua.length === 0) return UNKNOWN_AGENT;
  parser.setUA(ua);
  const browser = parser.getBrowser();
  const os = safeProductName(parser.getOS().name);
  const type = parser.getDevice().type;
  let device: Exclude<DeviceType, "bot"> = "other";
  if (type !== undefined) device = DEVICE_CLASS[type] ?? "other";
  else if (os !== null && DESKTOP_OS.has(os)) device = "desktop";
  return { browser: browserFamily(browser.name), browserMajor: majorVersion(browser.major), os, device };
}
