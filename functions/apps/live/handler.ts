import { Logger } from "@aws-lambda-powertools/logger";
import middy from "@middy/core";
import { liveMoment } from "../../core/dashboard/live.ts";
import { refreshLiveSnapshot } from "../../core/dashboard/live-refresh.ts";
import { processEnvironment } from "../../runtime/env.ts";
import { type AwsLiveRuntime, composeAwsLive } from "./aws.ts";

/**
 * The live panel's rollup on AWS (issue 17 item 3), run by a one-minute schedule: the figures of the current minute
 * from today's (and, for a window crossing midnight, yesterday's) `events/` partition, k applied, written to
 * `stats/live/dt=<day>/live.json` (core/dashboard/live-refresh.ts). Logs the moment and how many sites had traffic — never a figure
 * under k, never a site's figures. A failed minute is not retried: the next minute computes a fresher one.
 */

const logger = new Logger({ serviceName: "logsieve-live" });
let runtime: AwsLiveRuntime | undefined;

/** The runtime is built on the first invocation and kept for the warm ones. */
function defaultRuntime(): AwsLiveRuntime {
  runtime ??= composeAwsLive(processEnvironment());
  return runtime;
}

export interface LiveResult {
  readonly asOf: string;
  readonly sites: number;
}

export async function liveHandler(
  _event: unknown,
  rt: AwsLiveRuntime = defaultRuntime(),
): Promise<LiveResult> {
  const snapshot = await refreshLiveSnapshot(rt.deps, liveMoment(rt.clock.now()));
  const result = { asOf: snapshot.asOf, sites: snapshot.sites.length };
  logger.info("live figures written", result);
  return result;
}

export const handler = middy((event: unknown) => liveHandler(event));
