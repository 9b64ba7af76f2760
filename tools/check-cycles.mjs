#!/usr/bin/env node
// Fails when any import under the given folders runs in a circle (issue 13: "no import cycles", checked in CI).
// Follows relative imports of .ts/.js files: static `import`/`export ... from`, side-effect `import "x"`, and
// dynamic `import("x")` with a literal; type-only imports count too (a type cycle is a layering cycle).
// Written by hand because the usual tools (madge, dependency-cruiser) need the TypeScript 5 compiler API, which
// TypeScript 7 (this project's compiler) no longer ships.
//
//   node tools/check-cycles.mjs functions infra packages
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SOURCE = /\.(ts|mts|js|mjs)$/;
const SPECIFIER =
  /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (SOURCE.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Comments are blanked first, so an example in a doc comment is not an import. */
function withoutComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

function importsOf(file) {
  const targets = [];
  for (const m of withoutComments(readFileSync(file, "utf8")).matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2];
    if (spec === undefined || !spec.startsWith(".")) continue;
    const target = resolve(dirname(file), spec);
    if (existsSync(target) && statSync(target).isFile()) targets.push(target);
  }
  return targets;
}

/** Tarjan's strongly connected components; every component with more than one file (or a self-import) is a cycle. */
export function findCycles(graph) {
  let index = 0;
  const stack = [];
  const onStack = new Set();
  const indices = new Map();
  const low = new Map();
  const cycles = [];
  const visit = (v) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indices.get(w)));
    }
    if (low.get(v) === indices.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return cycles;
}

const dirs = process.argv.slice(2).filter((d) => existsSync(d));
if (dirs.length === 0) {
  console.error("usage: node tools/check-cycles.mjs <folder> [...]");
  process.exit(2);
}
const graph = new Map();
for (const dir of dirs) for (const file of sourceFiles(resolve(dir))) graph.set(file, importsOf(file));
const cycles = findCycles(graph);
if (cycles.length === 0) {
  console.log(`check-cycles: ${graph.size} files in ${dirs.join(", ")}, no import cycle`);
} else {
  console.error(`check-cycles: ${cycles.length} import cycle(s):`);
  for (const cycle of cycles)
    console.error(`  ${cycle.map((f) => relative(process.cwd(), f)).join(" <-> ")}`);
  process.exit(1);
}
