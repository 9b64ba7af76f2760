/**
 * A child process for test/unit/runtime/heap.test.ts: starts a worker (as the ingest command does), then keeps many
 * young objects alive for a while, so that V8 would grow this thread's new space to its 32 MiB limit; prints the
 * largest new space seen. `node --import tsx test/helpers/young-generation.ts hold|free` — `hold` first calls
 * `limitHeapGrowth` as the ingest command does.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { getHeapSpaceStatistics } from "node:v8";
import { Worker } from "node:worker_threads";
import { limitHeapGrowth } from "../../functions/runtime/heap.ts";

const newSpaceBytes = (): number =>
  getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? -1;

async function main(): Promise<void> {
  if (process.argv[2] === "hold") limitHeapGrowth();
  // V8 resets the semi-space growth factor while it sets up this worker's heap.
  const worker = new Worker("setTimeout(() => {}, 60_000)", { eval: true });
  await new Promise((resolve) => worker.once("online", resolve));
  const kept: object[] = [];
  let most = newSpaceBytes();
  for (let round = 0; round < 120; round++) {
    for (let i = 0; i < 20_000; i++) kept.push({ round, i, text: `row ${round} ${i}` });
    if (kept.length > 300_000) kept.splice(0, 100_000);
    most = Math.max(most, newSpaceBytes());
    await sleep(5);
  }
  await worker.terminate();
  process.stdout.write(JSON.stringify({ mostNewSpaceMiB: most / 1024 / 1024 }));
}

await main();
