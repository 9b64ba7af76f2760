// One Lambda execution environment: imports a bundle's handler once (the cold start), then runs one invocation at
// a time as the parent process asks over IPC. Plain JavaScript, so nothing but Node runs in here besides the
// bundle itself; the environment is exactly what the parent passes (the template's variables and the platform's).
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
  reply.maxRssKb = process.resourceUsage().maxRSS;
  reply.logs = takeLogs();
  process.send(reply);
});

function describe(error) {
  return {
    errorType: error?.name ?? "Error",
    errorMessage: error?.message ?? String(error),
    stack: typeof error?.stack === "string" ? error.stack.split("\n").slice(0, 12) : [],
  };
}
