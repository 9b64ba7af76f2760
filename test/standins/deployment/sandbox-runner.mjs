// One Lambda execution environment: imports a bundle's handler once (the cold start), then runs one invocation at
// a time as the parent process asks over IPC. Plain JavaScript, so nothing but Node runs in here besides the
// bundle itself; the environment is exactly what the parent passes (the template's variables and the platform's).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [entry, exportName, functionName, memory, timeoutMs] = process.argv.slice(2);

// The environment's clock follows the stand-ins' clock (which a test may move, e.g. to the next week), so the
// function and the services agree on "now", as they do on AWS.
const RealDate = Date;
let clockOffsetMs = 0;
class StandinDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + clockOffsetMs);
    else super(...args);
  }
  static now() {
    return RealDate.now() + clockOffsetMs;
  }
}
globalThis.Date = StandinDate;

// What the function writes (its logs) is sent back with each result, in order, instead of through the pipes, so
// a log line always belongs to the invocation that wrote it.
let captured = [];
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, callback) => {
    captured.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") done();
    return true;
  };
}
const takeLogs = () => {
  const logs = captured.join("");
  captured = [];
  return logs;
};

let handler;
try {
  const module = await import(pathToFileURL(entry).href);
  handler = module[exportName];
  if (typeof handler !== "function") throw new Error(`${entry} exports no function ${exportName}`);
  process.send({ type: "ready", logs: takeLogs() });
} catch (error) {
  process.send({ type: "init-error", error: describe(error), logs: takeLogs() });
  process.exit(1);
}

process.on("message", async (message) => {
  if (message.type !== "invoke") return;
  clockOffsetMs = message.clockOffsetMs ?? 0;
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const context = {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:111111111111:function:${functionName}`,
    memoryLimitInMB: memory,
    awsRequestId: message.requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "standin",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, started + Number(timeoutMs) - Date.now()),
  };
  let reply;
  try {
    const value = await handler(message.event, context);
    reply = { type: "result", id: message.id, ok: true, value: value === undefined ? null : value };
  } catch (error) {
    reply = { type: "result", id: message.id, ok: false, error: describe(error) };
  }
  const cpu = process.cpuUsage(cpuBefore);
  reply.cpuMs = (cpu.user + cpu.system) / 1000;
  reply.wallMs = Date.now() - started;
  reply.maxRssKb = peakRssKb();
  reply.logs = takeLogs();
  process.send(reply);
});

/**
 * This process's peak resident set in KiB: Linux's VmHWM, the high-water mark of this process's own memory since it
 * was exec'd. Not `process.resourceUsage().maxRSS`: getrusage's maxrss survives exec, so a sandbox forked from a
 * large parent (the bench, holding the stand-ins' objects) reports the parent's size (a 40 MiB child of an 860 MiB
 * parent: 823 MiB). Elsewhere, getrusage's figure is all there is.
 */
function peakRssKb() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (hwm !== null) return Number(hwm[1]);
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS;
}

function describe(error) {
  return {
    errorType: error?.name ?? "Error",
    errorMessage: error?.message ?? String(error),
    stack: typeof error?.stack === "string" ? error.stack.split("\n").slice(0, 12) : [],
  };
}
