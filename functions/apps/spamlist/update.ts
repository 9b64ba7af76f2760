import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { domainToASCII, fileURLToPath } from "node:url";
import {
  MIN_LIST_HOSTS,
  parseSpamList,
  renderSpamListModule,
  UPSTREAM,
} from "../../core/spam/list-source.ts";
import { REFERRER_SPAM_LIST } from "../../core/spam/referrer-spam-list.ts";
import { utcDay } from "../../core/zones.ts";

/**
 * The wiring of `logsieve spamlist update`: read the maintained list (by default Matomo's `spammers.txt` over
 * HTTPS; `--from` a URL or a local file), check it, and rewrite the shipped copy
 * (functions/core/spam/referrer-spam-list.ts) with the day it was read and its SHA-256. The copy is part of the
 * code: commit it, and the next deployment filters with it.
 */

/** The shipped copy, found from this module's location. */
export const SHIPPED_LIST_FILE = fileURLToPath(
  new URL("../../core/spam/referrer-spam-list.ts", import.meta.url),
);

const FETCH_TIMEOUT_MS = 30_000;
/** A list larger than this is not the list (it is ~50 KB). */
const MAX_LIST_BYTES = 8 * 1024 * 1024;

export class SpamListError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SpamListError";
  }
}

export interface UpdateOptions {
  /** A http(s) URL or a file path; default: the upstream file. */
  readonly from?: string;
  /** The upstream revision (a commit id), when the reader knows it. */
  readonly revision?: string;
  /** The module to write; default: the shipped copy. */
  readonly out?: string;
  /** Today, for the record; default: the system clock. */
  readonly nowMs?: number;
}

export interface UpdateResult {
  readonly out: string;
  readonly hosts: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly readFrom: string;
}

async function readSource(from: string): Promise<{ text: string; readFrom: string }> {
  if (/^https?:\/\//i.test(from)) {
    let response: Response;
    try {
      response = await fetch(from, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: "follow" });
    } catch (cause) {
      throw new SpamListError(`cannot fetch ${from}: ${(cause as Error).message}`, { cause });
    }
    if (!response.ok) throw new SpamListError(`${from} answered ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_LIST_BYTES)
      throw new SpamListError(`${from} sent more than ${MAX_LIST_BYTES} bytes`);
    return { text, readFrom: from };
  }
  try {
    return { text: await readFile(from, "utf8"), readFrom: `file ${basename(from)}` };
  } catch (cause) {
    throw new SpamListError(`cannot read ${from} (${(cause as NodeJS.ErrnoException).code ?? "error"})`, {
      cause,
    });
  }
}

/** Reads, checks and writes the list; refuses (writing nothing) a list with a bad line or too few hosts. */
export async function updateSpamList(options: UpdateOptions = {}): Promise<UpdateResult> {
  const from = options.from ?? UPSTREAM.file;
  const { text, readFrom } = await readSource(from);
  const parsed = parseSpamList(text, domainToASCII);
  if (parsed.problems.length > 0) {
    throw new SpamListError(
      `${readFrom} has lines that are not host names (${parsed.problems.slice(0, 5).join("; ")}${parsed.problems.length > 5 ? "; …" : ""}): nothing written`,
    );
  }
  if (parsed.hosts.length < MIN_LIST_HOSTS) {
    throw new SpamListError(
      `${readFrom} holds ${parsed.hosts.length} hosts, fewer than ${MIN_LIST_HOSTS}: not the list, or cut short; nothing written`,
    );
  }
  const out = options.out ?? SHIPPED_LIST_FILE;
  const module = renderSpamListModule(
    {
      readFrom,
      retrieved: utcDay(options.nowMs ?? Date.now()),
      revision: options.revision ?? null,
      sha256: createHash("sha256").update(text).digest("hex"),
    },
    parsed.hosts,
  );
  const temporary = `${out}.tmp-${process.pid}`;
  await writeFile(temporary, module);
  await rename(temporary, out);
  const before = new Set(REFERRER_SPAM_LIST.hosts);
  const after = new Set(parsed.hosts);
  return {
    out,
    hosts: parsed.hosts.length,
    added: parsed.hosts.filter((h) => !before.has(h)),
    removed: REFERRER_SPAM_LIST.hosts.filter((h) => !after.has(h)),
    readFrom,
  };
}
