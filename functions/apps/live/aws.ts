import { AthenaClient } from "@aws-sdk/client-athena";
import { S3Client } from "@aws-sdk/client-s3";
import { AthenaQueryEngine } from "../../adapters/aws/athena-engine.ts";
import { S3ObjectStore } from "../../adapters/aws/s3-object-store.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import type { LiveRefreshDeps } from "../../core/dashboard/live-refresh.ts";
import type { Clock } from "../../ports/clock.ts";
import { AWS_ENV, configFromEnv, type Environment, requireEnv } from "../../runtime/env.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";

/**
 * The live function's wiring on AWS: `dashboard.live` on Athena in the pipeline workgroup (the one that may read
 * `events/`), the snapshot written to `stats/live/` of the analytics bucket, where the dashboard reads it with the
 * signed-in person's role (infra/constructs/live.ts grants this function exactly that and nothing else).
 */
export interface AwsLiveRuntime {
  readonly deps: LiveRefreshDeps;
  readonly clock: Clock;
}

export function composeAwsLive(env: Environment): AwsLiveRuntime {
  return {
    clock: systemClock,
    deps: {
      engine: new AthenaQueryEngine({
        client: new AthenaClient({}),
        workGroup: requireEnv(env, AWS_ENV.athenaWorkgroup),
        database: requireEnv(env, AWS_ENV.glueDatabase),
      }),
      store: new S3ObjectStore({
        client: new S3Client({}),
        bucket: requireEnv(env, AWS_ENV.analyticsBucket),
      }),
      catalog: loadQueryCatalog(requireEnv(env, AWS_ENV.queriesDir)),
      config: configFromEnv(env),
    },
  };
}
