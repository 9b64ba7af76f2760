import type { GeoLookup } from "../../ports/geo.ts";
import type { ClientAddress } from "../anonymize/ip.ts";
import type { Enrichment } from "../types.ts";
import { agentKey } from "./agent-key.ts";
import { classifyBot } from "./bots.ts";
import { BoundedCache } from "./bounded-cache.ts";
import { GeoMemo } from "./geo-memo.ts";
import { AGENT_NUMBERS, MAX_AGENTS } from "./text-numbering.ts";
import { parseUserAgent, UNKNOWN_AGENT } from "./user-agent.ts";

/** The enrichment step's work: what the full address and the raw user agent say, learned in memory. */
export type Enricher = (address: ClientAddress, userAgent: string | null) => Enrichment;

export interface EnricherOptions {
  /**
   * Distinct user agents whose answer is remembered, by the agent's number (text-numbering.ts): a power of two, the
   * slots a table of numbers and answers grows to. Default {@link MAX_AGENTS}, the agents the numbering holds (0.75 MB).
   */
  readonly userAgentCacheSize?: number;
  /**
   * Distinct agent keys (agents with their build numbers masked, agent-key.ts) remembered per cache generation.
   * Default 16,384 (at most 32,768 keys of a few hundred bytes: ≈ 10 MB): the `agents` bench log's 22,869 keys
   * are then classified 33,702 times in 1 M lines, against 105,532 times with 8,192.
   */
  readonly agentKeyCacheSize?: number;
  /**
   * Remember the country and provider of the last few thousand addresses (geo-memo.ts). Default false: the memo
   * holds full addresses in memory, which only a process that writes them to the security zone anyway should do
   * (the ingest; not the collector, which writes no full address anywhere).
   */
  readonly geoMemo?: boolean;
}

/** Distinct answers kept to be shared by the keys that have them (see `shared` below). */
const MAX_SHARED_ANSWERS = 4096;

/** Slots of the enricher's answers by agent number at first: 12 KB, doubled as agents come. */
const FIRST_AGENT_SLOTS = 1024;

/** Agents longer than this are classified every time rather than cached (attack payloads, one-offs). */
const MAX_CACHED_UA_LENGTH = 512;

export type AgentPart = Omit<Enrichment, "country" | "provider">;

/** What one agent says, classified as it is (uncached; the enricher classifies its agent key, agent-key.ts). */
export function classifyAgent(userAgent: string | null): AgentPart {
  const bot = classifyBot(userAgent);
  // No browser sends an empty or malformed agent: nothing to parse (and no payload handed to ua-parser-js).
  const agent =
    bot.reason === "empty_ua" || bot.reason === "malformed" ? UNKNOWN_AGENT : parseUserAgent(userAgent);
  return {
    browser: agent.browser,
    browserMajor: agent.browserMajor,
    os: agent.os,
    device: bot.isBot ? "bot" : agent.device,
    isBot: bot.isBot,
    botReason: bot.reason,
    botName: bot.name,
  };
}

/**
 * Builds the enrichment step: country and provider from the full address (in memory, before truncation), and
 * browser, OS, device class and bot verdict from the user agent. Bots get device "bot".
 *
 * The user-agent part is remembered per distinct agent by the agent's number in the thread's numbering of agents
 * (text-numbering.ts: the visitor id numbers the same agent next, by a pointer comparison), and behind that per agent
 * key (the agent with its build numbers masked, agent-key.ts): what is classified is the key.
 * With `geoMemo`, country and provider are remembered for the last few thousand addresses (geo-memo.ts: by the
 * address's bytes, in typed arrays), so a client's later lines do not walk the geo databases again. Without it,
 * addresses are never kept: the geo lookup is done per call.
 */
export function createEnricher(geo: GeoLookup, options: EnricherOptions = {}): Enricher {
  const maxSlots = options.userAgentCacheSize ?? MAX_AGENTS;
  if (!Number.isInteger(Math.log2(maxSlots))) {
    throw new RangeError(`the user-agent cache holds a power of two of agents, not ${maxSlots}`);
  }
  // The answer of agent number n sits in slot n mod `slots` while numberAt[slot] is n (0: empty; numbers start at 1).
  // Small at first and doubled, up to `maxSlots`, when an answer would push another out (see growSlots).
  let slots = Math.min(FIRST_AGENT_SLOTS, maxSlots);
  let numberAt = new Int32Array(slots);
  let partAt = new Array<AgentPart | undefined>(slots).fill(undefined);
  function growSlots(): void {
    const numbers = numberAt;
    const parts = partAt;
    slots *= 2;
    numberAt = new Int32Array(slots);
    partAt = new Array<AgentPart | undefined>(slots).fill(undefined);
    // Two numbers in two slots of the old table are in two slots of the new one (its slot's low bits are the old).
    for (let i = 0; i < numbers.length; i++) {
      const n = numbers[i] as number;
      if (n === 0) continue;
      numberAt[n & (slots - 1)] = n;
      partAt[n & (slots - 1)] = parts[i];
    }
  }
  let restartsSeen = AGENT_NUMBERS.restarts;
  // Agents that differ only in build numbers share a key and its answer: a log with a hundred thousand distinct
  // agents has a few thousand keys (agent-key.ts says why the answer is the same).
  const byKey = new BoundedCache<string, AgentPart>(options.agentKeyCacheSize ?? 16_384);
  const noAgent = classifyAgent(null);
  // One object per distinct answer: the `agents` bench log's first 300,000 lines have 19,463 keys and 755 answers,
  // so each key's entry holds a shared object instead of one of its own (≈ 80 bytes a key, up to 32,768 keys).
  const answers = new Map<string, AgentPart>();
  function shared(part: AgentPart): AgentPart {
    // JSON: null and the text "null" stay apart, and no name can run into the next field (runs per key, not per line).
    const signature = JSON.stringify([
      part.browser,
      part.browserMajor,
      part.os,
      part.device,
      part.isBot,
      part.botReason,
      part.botName,
    ]);
    const known = answers.get(signature);
    if (known !== undefined) return known;
    // Bounded: a log of made-up agents could give as many answers as agents.
    if (answers.size >= MAX_SHARED_ANSWERS) answers.clear();
    answers.set(signature, part);
    return part;
  }

  function partOfKey(key: string): AgentPart {
    let part = byKey.get(key);
    if (part === undefined) {
      part = shared(classifyAgent(key));
      byKey.set(key, part);
    }
    return part;
  }

  function agentPart(userAgent: string | null): AgentPart {
    if (userAgent === null) return noAgent;
    if (userAgent.length > MAX_CACHED_UA_LENGTH) return classifyAgent(agentKey(userAgent));
    const number = AGENT_NUMBERS.of(userAgent);
    if (AGENT_NUMBERS.restarts !== restartsSeen) {
      numberAt.fill(0);
      restartsSeen = AGENT_NUMBERS.restarts;
    }
    let slot = number & (slots - 1);
    if (numberAt[slot] === number) return partAt[slot] as AgentPart;
    const part = partOfKey(agentKey(userAgent));
    if (numberAt[slot] !== 0 && slots < maxSlots) {
      growSlots();
      slot = number & (slots - 1);
    }
    numberAt[slot] = number;
    partAt[slot] = part;
    return part;
  }

  // By the parsed address when the lookup can (no second parse of its text), else by its text.
  const countryOfAddress = geo.countryOfAddress;
  const providerOfAddress = geo.providerOfAddress;
  const country =
    countryOfAddress === undefined
      ? (address: ClientAddress) => geo.country(address.address)
      : (address: ClientAddress) => countryOfAddress.call(geo, address);
  const provider =
    providerOfAddress === undefined
      ? (address: ClientAddress) => geo.provider(address.address)
      : (address: ClientAddress) => providerOfAddress.call(geo, address);

  const memo = options.geoMemo === true ? new GeoMemo() : NO_GEO_MEMO;

  return (address, userAgent) => {
    const part = agentPart(userAgent);
    let countryOf: string | null;
    let providerOf: string | null;
    if (memo.has(address.bytes)) {
      countryOf = memo.country;
      providerOf = memo.provider;
    } else {
      countryOf = country(address);
      providerOf = provider(address);
      memo.remember(countryOf, providerOf);
    }
    // Written out rather than spread: a spread here costs microseconds per call on the hot path.
    return {
      browser: part.browser,
      browserMajor: part.browserMajor,
      os: part.os,
      device: part.device,
      isBot: part.isBot,
      botReason: part.botReason,
      botName: part.botName,
      country: countryOf,
      provider: providerOf,
    };
  };
}

/** A memo that never remembers (`geoMemo` off): one class at the call site either way, so V8 keeps it inlined. */
const NO_GEO_MEMO = GeoMemo.disabled();
