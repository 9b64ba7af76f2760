// Every repository path a Markdown file names must exist, so a doc cannot keep describing a tree that moved
// (docs/ARCHITECTURE.md once described compose/ and handlers/ long after they were gone).
// Usage: node tools/check-doc-paths.mjs <root> <file.md>...
// Paths: functions/ infra/ queries/ test/ scripts/ tools/ packages/ .ci/, and the short forms core/ apps/ adapters/
// ports/ runtime/ cli/ (under functions/). `*`, `<placeholder>` and `{a,b}` are globs; a glob must match something.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const [root, ...docs] = process.argv.slice(2);
const TOP = "functions|infra|queries|test|scripts|tools|packages|core|apps|adapters|ports|runtime|cli|docs";
const RE = new RegExp(`(?<![\\w./<>*{}-])((?:${TOP})/[\\w./<>*{},-]*)`, "g");
const SHORT = new Set(["core", "apps", "adapters", "ports", "runtime", "cli"]);
function expandBraces(p) {
  const m = /\{([^{}]*)\}/.exec(p);
  if (!m) return [p];
  return m[1]
    .split(",")
    .flatMap((alt) => expandBraces(p.slice(0, m.index) + alt + p.slice(m.index + m[0].length)));
}
function toRegex(segment) {
  return new RegExp(`^${segment.replace(/[.+^$()|[\]\\]/g, "\\$&").replace(/<[^>]*>|\*/g, ".*")}$`);
}
function matches(dir, segments) {
  if (segments.length === 0) return true;
  const [head, ...rest] = segments;
  if (head === "") return rest.length === 0 ? true : matches(dir, rest);
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  const re = toRegex(head);
  return names.some(
    (n) =>
      re.test(n) &&
      (rest.length === 0 ||
        rest.every((s) => s === "") ||
        (statSync(join(dir, n)).isDirectory() && matches(join(dir, n), rest))),
  );
}
let missing = 0,
  checked = 0;
for (const doc of docs) {
  const text = readFileSync(doc, "utf8");
  const seen = new Set();
  for (const m of text.matchAll(RE)) {
    const path = m[1].replace(/[.,]+$/, "");
    if (seen.has(path)) continue;
    seen.add(path);
    const top = path.split("/")[0];
    const full = SHORT.has(top) ? `functions/${path}` : path;
    for (const candidate of expandBraces(full)) {
      checked++;
      if (!matches(root, candidate.split("/"))) {
        missing++;
        console.log(`MISSING ${candidate}  (${doc})`);
      }
    }
  }
}
console.log(`${checked} paths checked, ${missing} missing`);
process.exitCode = missing > 0 ? 1 : 0;
