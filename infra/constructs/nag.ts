import { createRequire } from "node:module";
import { type Acknowledgment, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * cdk-nag is CommonJS whose exports Node's ESM loader cannot detect statically (`export *` compiled by jsii), so
 * named ESM imports of it fail at run time. Load it through `require` once, here, typed as the package.
 */
const require = createRequire(import.meta.url);
const cdkNag = require("cdk-nag") as typeof import("cdk-nag");

export const { AwsSolutionsChecks, ServerlessChecks } = cdkNag;

/**
 * Acknowledges cdk-nag findings on a construct (and everything under it), each with its specific reason.
 * cdk-nag v3 uses CDK's own `Validations.acknowledge`; a finding with a detail is acknowledged by its full id,
 * e.g. `AwsSolutions-IAM5[Resource::*]`.
 */
export function acknowledge(scope: IConstruct, rules: readonly Acknowledgment[]): void {
  Validations.of(scope).acknowledge(...rules);
}
