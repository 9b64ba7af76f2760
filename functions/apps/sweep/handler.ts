import { Logger } from "@aws-lambda-powertools/logger";
import middy from "@middy/core";
import { type SweepReport, sweep } from "../../core/retention/sweep.ts";
import { processEnvironment } from "../../runtime/env.ts";
import { type AwsSweepRuntime, composeAwsSweep } from "./aws.ts";

/**
 * The hourly sweeper (EventBridge schedule). It deletes what has outlived its zone's age, never a version
 * under legal hold, records the run in the audit trail (evidence/audit/sweeps/), and logs counts and keys —
 * never a record, so never an address. A run with errors logs them and then fails, so the invocation shows up
 * in the error metric and the scheduled DLQ; the retry is safe because a sweep is idempotent.
 */

const logger = new Logger({ serviceName: "logsieve-sweep" });
let runtime: AwsSweepRuntime | undefined;

export interface SweepResult {
  readonly deleted: number;
  readonly skipped: number;
  readonly errors: number;
  readonly recordKey: string | null;
}

const total = (counts: SweepReport["deleted"]): number => Object.values(counts).reduce((a, b) => a + b, 0);

/** The runtime is built on the first invocation and kept for the warm ones. */
function defaultRuntime(): AwsSweepRuntime {
  runtime ??= composeAwsSweep(processEnvironment());
  return runtime;
}

export async function sweepHandler(
  _event: unknown,
  rt: AwsSweepRuntime = defaultRuntime(),
): Promise<SweepResult> {
  const report = await sweep(rt.deps, { now: rt.clock.now() });
  const result: SweepResult = {
    deleted: total(report.deleted),
    skipped: total(report.skippedHeld),
    errors: report.errors.length,
    recordKey: report.recordKey,
  };
  logger.info("swept", {
    now: report.now,
    deleted: report.deleted,
    skippedHeld: report.skippedHeld,
    incidentsSwept: report.incidentsSwept,
    recordKey: report.recordKey,
  });
  if (report.errors.length > 0) {
    logger.error("sweep errors", { errors: report.errors.slice(0, 50), count: report.errors.length });
    throw new Error(
      `sweep finished with ${report.errors.length} error(s); deleted ${result.deleted}, held ${result.skipped}`,
    );
  }
  return result;
}

export const handler = middy((event: unknown) => sweepHandler(event));
