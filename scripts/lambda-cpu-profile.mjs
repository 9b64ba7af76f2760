// Loaded into a stand-in Lambda environment by `npm run bench:lambda -- --cpu-prof <dir>` (NODE_OPTIONS --import):
// profiles the process from its start (the bundle's module init included) and writes one .cpuprofile per
// invocation, just before the result is sent back. `node --cpu-prof` would write nothing: the stand-ins end an
// environment with SIGKILL, as Lambda does.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.LOGSIEVE_BENCH_CPU_PROF_DIR;
if (dir !== undefined && typeof process.send === "function") {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  const send = process.send.bind(process);
  let invocation = 0;
  process.send = (message, ...rest) => {
    if (message?.type === "result") {
      invocation++;
      // A session of this thread answers synchronously: the file is written before the result leaves.
      session.post("Profiler.stop", (error, result) => {
        if (error === null) {
          writeFileSync(
            join(dir, `lambda-${process.pid}-${invocation}.cpuprofile`),
            JSON.stringify(result.profile),
          );
        }
      });
      session.post("Profiler.start");
    }
    return send(message, ...rest);
  };
}
