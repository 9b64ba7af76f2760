import { z } from "zod";
import { ConfigError, type LogsieveConfig, parseConfig } from "../../functions/core/config.ts";

/**
 * Deployment settings: the operator's logsieve configuration (validated by the project's own `parseConfig`, so
 * the cloud runs exactly what `logsieve` accepts locally) plus the few settings only a deployment has.
 *
 * Everything comes from CDK context with defaults, e.g. in cdk.json or on the command line:
 *   npx cdk deploy -c logsieve:sites=example.com,shop.example.com -c logsieve:alarmEmail=ops@example.com
 *   npx cdk deploy -c 'logsieve:config={"sites":["example.com"],"k":10}'
 */
export const CONTEXT_KEYS = {
  /** The logsieve configuration (functions/core/config.ts): an object, or the same as a JSON string. */
  config: "logsieve:config",
  /** Shortcut for `config.sites`: a comma-separated list (or an array) of site host names. */
  sites: "logsieve:sites",
  region: "logsieve:region",
  alarmEmail: "logsieve:alarmEmail",
  logLevel: "logsieve:logLevel",
  marketingScanLimitGiB: "logsieve:marketingScanLimitGiB",
  securityScanLimitGiB: "logsieve:securityScanLimitGiB",
  pipelineScanLimitGiB: "logsieve:pipelineScanLimitGiB",
  collectorRateLimit: "logsieve:collectorRateLimit",
  collectorBurstLimit: "logsieve:collectorBurstLimit",
  /** Further dashboard URLs the sign-in may return to (a custom domain); the API's own URL is always one. */
  dashboardCallbackUrls: "logsieve:dashboardCallbackUrls",
  /** MiB of (decompressed) log one ingest invocation reads; larger files go in ranges (docs/DEPLOY.md, Sizing). */
  ingestRangeMiB: "logsieve:ingestRangeMiB",
  /** Minutes between two recomputes of a day driven by ingestion, and between catch-ups (freshness vs. cost). */
  aggregateIntervalMinutes: "logsieve:aggregateIntervalMinutes",
  /** Prefix of the hosted sign-in domain `<prefix>.auth.<region>.amazoncognito.com`; default derived from the stack. */
  cognitoDomainPrefix: "logsieve:cognitoDomainPrefix",
  /** Days a legal-hold audit event is kept under Object Lock compliance-mode retention. */
  auditRetentionDays: "logsieve:auditRetentionDays",
} as const;

/** See docs/DEPLOY.md, "Sizing": the measured throughput of the ingest bundle times half its timeout. */
export const DEFAULT_INGEST_RANGE_MIB = 1024;

const numberish = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, "a number")
    .transform(Number),
]);
const listish = z.union([
  z.array(z.string().min(1)),
  z.string().transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  ),
]);

const deploySchema = z
  .object({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as eu-central-1")
      .default("eu-central-1"),
    alarmEmail: z.email("an e-mail address").optional(),
    logLevel: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]).default("INFO"),
    marketingScanLimitGiB: numberish.pipe(z.number().min(0.01).max(10_000)).default(10),
    securityScanLimitGiB: numberish.pipe(z.number().min(0.01).max(10_000)).default(50),
    pipelineScanLimitGiB: numberish.pipe(z.number().min(0.01).max(10_000)).default(200),
    collectorRateLimit: numberish.pipe(z.number().int().min(1).max(10_000)).default(100),
    collectorBurstLimit: numberish.pipe(z.number().int().min(1).max(5_000)).default(200),
    dashboardCallbackUrls: listish
      .pipe(
        z.array(
          z
            .url({ protocol: /^https?$/, error: "an http(s) URL" })
            .refine(
              (url) => url.startsWith("https://") || /^http:\/\/localhost[:/]/.test(url),
              "an https URL (Cognito accepts http only for localhost)",
            ),
        ),
      )
      .default([]),
    cognitoDomainPrefix: z
      .string()
      .regex(
        /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
        "lower-case letters, digits and hyphens, at most 63, not starting or ending with a hyphen",
      )
      .refine((prefix) => !/aws|amazon|cognito/.test(prefix), "must not contain aws, amazon or cognito")
      .optional(),
    // Three years by default: the general limitation period (§ 195 BGB) of claims an incident may lead to.
    auditRetentionDays: numberish.pipe(z.number().int().min(1).max(36_500)).default(1096),
    ingestRangeMiB: numberish.pipe(z.number().int().min(1).max(4096)).default(DEFAULT_INGEST_RANGE_MIB),
    aggregateIntervalMinutes: numberish.pipe(z.number().int().min(1).max(1440)).default(15),
  })
  .strict();

export type DeploySettings = z.output<typeof deploySchema>;

export interface LogsieveSettings {
  readonly config: LogsieveConfig;
  readonly deploy: DeploySettings;
}

/** Reads a context value; the parameter is the shape of `Node.tryGetContext`. */
export type ContextReader = (key: string) => unknown;

/**
 * Reads and validates the settings. A bad value throws a {@link ConfigError} whose message names the context key
 * and the setting, so `cdk synth` stops before anything is built.
 */
export function readSettings(context: ContextReader): LogsieveSettings {
  const rawConfig = parseJsonish(context(CONTEXT_KEYS.config), CONTEXT_KEYS.config) ?? {};
  if (typeof rawConfig !== "object" || Array.isArray(rawConfig)) {
    throw new ConfigError(`invalid context ${CONTEXT_KEYS.config}: an object is expected`, [
      `${CONTEXT_KEYS.config}: an object is expected`,
    ]);
  }
  const sites = context(CONTEXT_KEYS.sites);
  const merged: Record<string, unknown> = { ...(rawConfig as Record<string, unknown>) };
  if (sites !== undefined) {
    const parsedSites = listish.safeParse(sites);
    if (!parsedSites.success) {
      throw new ConfigError(`invalid context ${CONTEXT_KEYS.sites}: a comma-separated list is expected`, [
        `${CONTEXT_KEYS.sites}: a comma-separated list is expected`,
      ]);
    }
    merged.sites = parsedSites.data;
  }
  const config = parseConfig(merged, `CDK context ${CONTEXT_KEYS.config}`);

  const rawDeploy: Record<string, unknown> = {};
  for (const [setting, key] of Object.entries(CONTEXT_KEYS)) {
    if (setting === "config" || setting === "sites") continue;
    const value = context(key);
    if (value !== undefined) rawDeploy[setting] = value;
  }
  const deploy = deploySchema.safeParse(rawDeploy);
  if (!deploy.success) {
    const problems = deploy.error.issues.map((issue) => {
      const setting = String(issue.path[0] ?? "(top level)");
      const key = (CONTEXT_KEYS as Record<string, string>)[setting] ?? setting;
      return `${key}: ${issue.message}`;
    });
    throw new ConfigError(`invalid CDK context:\n  ${problems.join("\n  ")}`, problems);
  }
  return { config, deploy: deploy.data };
}

function parseJsonish(value: unknown, key: string): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (cause) {
    const error = new ConfigError(`invalid context ${key}: not valid JSON`, [`${key}: not valid JSON`]);
    error.cause = cause;
    throw error;
  }
}

/** Days a lifecycle backstop waits: never shorter than the promise the sweeper keeps to the hour. */
export function hoursToBackstopDays(hours: number): number {
  return Math.max(1, Math.ceil(hours / 24));
}

/** Months (as configured for stats) to lifecycle days, on the mean Gregorian month. */
export function monthsToDays(months: number): number {
  return Math.ceil((months * 365.25) / 12);
}
