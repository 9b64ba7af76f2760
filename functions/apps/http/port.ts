import { createServer } from "node:net";
import { UsageError } from "../../cli/output.ts";

/**
 * Refuses a port that cannot be listened on, before any work is done (`npm start` generates and ingests a log
 * before it serves: finding the port taken only then wastes all of it). The check binds and lets go at once; the
 * server binds again later, and a port taken in between is refused the same way by {@link listenError}.
 */
export async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  }).catch((error: unknown) => {
    throw listenError(error, host, port);
  });
}

/** A listening failure as a message that names `--port` (or `--host`) and what to do. */
export function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "EADDRINUSE") {
    return new UsageError(
      `port ${port} on ${host} is already in use`,
      "choose another with --port N (--port 0 takes any free port), or stop what listens there",
    );
  }
  if (code === "EACCES") {
    return new UsageError(
      `port ${port} needs privileges this process does not have`,
      "choose a port above 1023 with --port N",
    );
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return new UsageError(`cannot listen on ${host}: no such local address`, "check --host (e.g. 127.0.0.1)");
  }
  return error;
}
