/**
 * Checks the enricher's agent key (functions/core/enrich/agent-key.ts) over every user agent of the corpora in
 * ../shared/validation/bots/: each agent classified as it is (ua-parser-js, isbot, our bot rules) must give exactly
 * what its key gives (browser, major, OS, device class, bot verdict, reason and name). Prints the agents the key
 * changed, the distinct keys, and every agent whose answer differs (there must be none).
 *
 *   npx tsx scripts/validate-agent-key.ts [--log bench-out/agents-1m.log]
 *
 * With `--log`, also counts the distinct agents and keys of a combined log's last quoted field.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { agentKey } from "../functions/core/enrich/agent-key.ts";
import { classifyAgent } from "../functions/core/enrich/enrich.ts";
import { yamlScalar } from "./corpus-yaml.ts";
import { validationDir } from "./validation-dir.ts";

const ROOT = join(validationDir(), "bots");

function scalarsAfter(file: string, prefix: RegExp): string[] {
  const out: string[] = [];
  for (const line of readFileSync(join(ROOT, file), "utf8").split(/\r?\n/)) {
    const m = prefix.exec(line);
    if (m !== null) out.push(yamlScalar(line.slice(m[0].length)));
  }
  return out;
}

const corpora: Record<string, string[]> = {
  "isbot browsers": scalarsAfter("isbot/fixtures_browsers.yml", /^ {2}- /),
  "isbot crawlers": scalarsAfter("isbot/fixtures_crawlers.yml", /^ {2}- /),
  "crawler-user-agents": (
    JSON.parse(readFileSync(join(ROOT, "crawler-user-agents/crawler-user-agents.json"), "utf8")) as {
      instances?: string[];
    }[]
  ).flatMap((e) => e.instances ?? []),
  "device-detector (read only)": [
    ...scalarsAfter("device-detector/bots.yml", /^ {2}user_agent: /),
    ...scalarsAfter("device-detector/desktop.yml", /^ {2}user_agent: /),
    ...scalarsAfter("device-detector/smartphone.yml", /^ {2}user_agent: /),
  ],
  "uap-core": [
    "test_ua.yaml",
    "test_os.yaml",
    "test_device.yaml",
    "firefox_user_agent_strings.yaml",
    "pgts_browser_list.yaml",
  ].flatMap((f) => scalarsAfter(`uap-core/${f}`, /^\s+- user_agent_string: /)),
};

const logAt = process.argv.indexOf("--log");
if (logAt > 0) {
  const path = process.argv[logAt + 1] as string;
  const agents = new Set<string>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const end = line.lastIndexOf('"');
    const start = line.lastIndexOf('"', end - 1);
    if (start >= 0 && end > start) agents.add(line.slice(start + 1, end));
  }
  const keys = new Set([...agents].map(agentKey));
  console.log(`${path}: ${agents.size} distinct agents, ${keys.size} distinct keys`);
  corpora[path] = [...agents];
}

let failures = 0;
const same = (a: object, b: object): boolean => JSON.stringify(a) === JSON.stringify(b);
for (const [name, agents] of Object.entries(corpora)) {
  let masked = 0;
  const keys = new Set<string>();
  for (const ua of agents) {
    const key = agentKey(ua);
    keys.add(key);
    if (key === ua) continue;
    masked++;
    const truth = classifyAgent(ua);
    const keyed = classifyAgent(key);
    if (!same(truth, keyed)) {
      failures++;
      console.log(
        `DIFFERS ${JSON.stringify(ua)}\n  agent: ${JSON.stringify(truth)}\n  key:   ${JSON.stringify(keyed)}`,
      );
    }
  }
  console.log(`${name}: ${agents.length} agents, ${masked} changed by the key, ${keys.size} distinct keys`);
}
console.log(failures === 0 ? "every answer the same" : `${failures} answers differ`);
process.exitCode = failures === 0 ? 0 : 1;
