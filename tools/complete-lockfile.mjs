#!/usr/bin/env node
// Why this exists: the npm registry reachable from this project's machines serves only the Linux builds of
// packages that ship per-platform binaries (@biomejs/cli-*, @duckdb/node-bindings-*), so `npm install` cannot
// write the other platforms' entries into package-lock.json, and `npm ci` then refuses the lock as "out of
// sync". This adds an entry (version, os, cpu, libc; no tarball) for every declared optional platform package
// the lock lacks. `npm ci` skips them on a platform they do not match, exactly as with a complete lock; on a
// machine of that platform npm fetches them from its own registry.
//
//   node tools/complete-lockfile.mjs   (after any `npm install` that rewrote package-lock.json)
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
let added = 0;

function platformOf(name) {
  const tail = name.split("/").pop();
  const os = ["android", "darwin", "win32", "linux", "freebsd"].find((o) => tail.includes(o));
  const cpu = ["arm64", "x64", "ia32", "arm"].find((c) => tail.includes(c));
  if (os === undefined || cpu === undefined) return null;
  return { os, cpu, libc: os === "linux" ? (tail.includes("musl") ? "musl" : "glibc") : undefined };
}

for (const [location, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key] !== undefined) continue;
    const platform = platformOf(name);
    if (platform === null) continue;
    packages[key] = {
      version,
      cpu: [platform.cpu],
      ...(entry.dev ? { dev: true } : {}),
      ...(platform.libc ? { libc: [platform.libc] } : {}),
      optional: true,
      os: [platform.os],
    };
    added++;
    console.log(`added ${key}@${version} (for ${location || "the project"})`);
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added === 0 ? "package-lock.json already complete" : `${added} platform entries added`);
