// Child of test/unit/core/identify/salt-release.test.ts, run with --expose-gc: computes visitor ids with a day's salt,
// drops every reference this script holds to that salt, collects garbage, and prints whether the salt is gone.
import { visitorId } from "../../functions/core/identify/visitor-id.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

let salt: Uint8Array | null = new Uint8Array(32).fill(7);
const released = new WeakRef(salt);
for (let i = 0; i < 1000; i++) visitorId(salt, "example.com", `198.51.100.${i % 250}`, "Mozilla/5.0");
// The control: holding the salt here keeps it, so a "released" answer is not a mere failure to collect.
const holdControl = process.argv[2] === "hold";
const held = holdControl ? salt : null;
salt = null;

// A WeakRef target stays until the job that made or dereferenced it ends: collect in later turns.
for (let turn = 0; turn < 5; turn++) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  gc();
}
console.log(JSON.stringify({ released: released.deref() === undefined, held: held !== null }));
