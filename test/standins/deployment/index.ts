import { type Standins, startStandins } from "../index.ts";
import { type CloudAssembly, type SynthOptions, synthesizedAssembly } from "./cdk-out.ts";
import { Deployment } from "./deployment.ts";

/**
 * The stack as `cdk synth` writes it, deployed onto fresh stand-ins:
 *
 * ```ts
 * const { aws, stack } = await deployOnStandins();
 * aws.s3.put(stack.nameOf("RawBucket"), "incoming/site=example.com/a.log", bytes);  // S3 → SQS → ...
 * await stack.pump();                                                               // ... ingest → aggregate
 * await stack.stop(); await aws.stop();
 * ```
 */
export async function deployOnStandins(
  options: { readonly assembly?: CloudAssembly; readonly aws?: Standins; readonly synth?: SynthOptions } = {},
): Promise<{ aws: Standins; stack: Deployment; stop(): Promise<void> }> {
  const assembly = options.assembly ?? synthesizedAssembly(options.synth);
  const aws = options.aws ?? (await startStandins());
  const stack = new Deployment(assembly, aws);
  return {
    aws,
    stack,
    stop: async () => {
      await stack.stop();
      if (options.aws === undefined) await aws.stop();
    },
  };
}

export type { CfnResource, CfnTemplate, CloudAssembly } from "./cdk-out.ts";
export { loadAssembly, PROJECT_ROOT, synthesizedAssembly } from "./cdk-out.ts";
export type { BatchRecord, DeployedFunction, EventSourceMapping, PumpOptions } from "./deployment.ts";
export { Deployment, s3EventMessage } from "./deployment.ts";
export type { InvocationResult } from "./sandbox.ts";
