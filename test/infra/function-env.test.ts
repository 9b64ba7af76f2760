import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CfnElement } from "aws-cdk-lib";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { AWS_ENV, type AwsEnvKey } from "../../functions/runtime/env.ts";
import {
  DEFAULT_FUNCTION_ENTRIES,
  FUNCTION_NAMES,
  type FunctionName,
} from "../../infra/constructs/function-entries.ts";
import type { LogsieveFunction } from "../../infra/constructs/logsieve-function.ts";
import type { LogsieveStack } from "../../infra/stacks/logsieve-stack.ts";
import { ROOT, synthLogsieve } from "./helpers/synth.ts";

/**
 * Every environment variable a function's code reads is set on that function in the template. The read set is
 * derived from the code, not listed by hand: the files each handler entry imports (esbuild's import graph of
 * DEFAULT_FUNCTION_ENTRIES, the entries `cdk deploy` bundles), scanned for `AWS_ENV.<name>`, plus the variables
 * read inside functions/runtime/env.ts by the helpers those files call (`configFromEnv` reads LOGSIEVE_CONFIG).
 */

const ENV_MODULE = resolve(ROOT, "functions/runtime/env.ts");

/** Variables a function may read without the template setting them, each with its reason. */
const NOT_SET_BY_THE_TEMPLATE: Readonly<Partial<Record<AwsEnvKey, string>>> = {
  functionName: "set by Lambda itself in every function's environment",
  collectorSettings: "optional: unset, every collector setting keeps its default (docs/DEPLOY.md)",
};

type ReadSets = Record<FunctionName, Set<AwsEnvKey>>;
let reads: ReadSets;
let setOnFunction: Record<FunctionName, Set<string>>;

beforeAll(async () => {
  // Prepare: what each entry's code reads
  const helperReads = envHelperReads();
  reads = {} as ReadSets;
  for (const name of FUNCTION_NAMES) {
    const result = await build({
      entryPoints: [resolve(ROOT, DEFAULT_FUNCTION_ENTRIES[name])],
      bundle: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      packages: "external",
      logLevel: "silent",
    });
    const keys = new Set<AwsEnvKey>();
    for (const input of Object.keys(result.metafile.inputs)) {
      const path = resolve(ROOT, input);
      if (!path.startsWith(resolve(ROOT, "functions"))) continue;
      const text = readFileSync(path, "utf8");
      if (path !== ENV_MODULE) for (const key of awsEnvRefs(text)) keys.add(key);
      for (const [helper, helperKeys] of helperReads) {
        if (path !== ENV_MODULE && new RegExp(`\\b${helper}\\(`).test(text))
          for (const key of helperKeys) keys.add(key);
      }
    }
    reads[name] = keys;
  }

  // ... and what the template sets on each function
  const { stack, template } = synthLogsieve();
  const l = (stack as LogsieveStack).logsieve;
  const functions: Record<FunctionName, LogsieveFunction> = {
    ingest: l.pipeline.ingest,
    aggregate: l.pipeline.aggregate,
    sweep: l.pipeline.sweep,
    collect: l.collector.collect,
    dashboardApi: l.collector.dashboardApi,
    statsApi: l.statsApi.function,
    statsAuthorizer: l.statsApi.authorizer,
    live: l.live.function,
    land: l.pipeline.land,
  };
  const resources = template.toJSON().Resources as Record<
    string,
    { Properties?: { Environment?: { Variables?: Record<string, unknown> } } }
  >;
  setOnFunction = {} as Record<FunctionName, Set<string>>;
  for (const name of FUNCTION_NAMES) {
    const id = stack.resolve(
      stack.getLogicalId(functions[name].fn.node.defaultChild as CfnElement),
    ) as string;
    setOnFunction[name] = new Set(Object.keys(resources[id]?.Properties?.Environment?.Variables ?? {}));
  }
}, 120_000);

describe("environment of each function", () => {
  for (const name of FUNCTION_NAMES) {
    it(`${name}: every variable its code reads is set on it`, () => {
      // Act
      const missing = [...reads[name]]
        .filter((key) => NOT_SET_BY_THE_TEMPLATE[key] === undefined)
        .map((key) => AWS_ENV[key])
        .filter((variable) => !setOnFunction[name].has(variable));

      // Assess
      expect(reads[name].size, "the scan found no reads at all").toBeGreaterThan(0);
      expect(missing).toEqual([]);
    });
  }

  it("the exceptions are read by some function and unset on every function that reads them", () => {
    // Act
    const stale = Object.keys(NOT_SET_BY_THE_TEMPLATE).filter((key) => {
      const readers = FUNCTION_NAMES.filter((name) => reads[name].has(key as AwsEnvKey));
      const variable = AWS_ENV[key as AwsEnvKey];
      return readers.length === 0 || readers.some((name) => setOnFunction[name].has(variable));
    });

    // Assess
    expect(stale).toEqual([]);
  });

  it("the scan sees a read (positive control: configFromEnv in the ingest wiring means LOGSIEVE_CONFIG)", () => {
    // Assess
    expect(reads.ingest.has("config")).toBe(true);
    expect(reads.ingest.has("rawBucket")).toBe(true);
  });
});

function awsEnvRefs(text: string): AwsEnvKey[] {
  return [...text.matchAll(/\bAWS_ENV\.(\w+)/g)].map((m) => m[1] as AwsEnvKey).filter((k) => k in AWS_ENV);
}

/** For each exported function of runtime/env.ts, the AWS_ENV variables its body reads. */
function envHelperReads(): Map<string, AwsEnvKey[]> {
  const text = readFileSync(ENV_MODULE, "utf8");
  const out = new Map<string, AwsEnvKey[]>();
  const starts = [...text.matchAll(/^export function (\w+)\(/gm)];
  starts.forEach((match, i) => {
    const body = text.slice(match.index, starts[i + 1]?.index ?? text.indexOf("export const AWS_ENV"));
    const keys = awsEnvRefs(body);
    if (keys.length > 0) out.set(match[1] as string, keys);
  });
  return out;
}
