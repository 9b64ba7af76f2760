import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { type Duration, RemovalPolicy, Token } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { ensureAsnTableFile } from "../../functions/adapters/geo/asn-table-file.ts";
import {
  AWS_ENV,
  BUNDLED_ASN_TABLE_PATH,
  BUNDLED_COUNTRY_DB_PATH,
  BUNDLED_QUERIES_DIR,
} from "../../functions/runtime/env.ts";
import { acknowledge } from "./nag.ts";
import { acknowledgeZoneWildcards } from "./policy.ts";

/** Lambda caps the environment of one function at 4 KiB (names plus values). */
export const LAMBDA_ENV_LIMIT_BYTES = 4096;

/** The bundled country database (CC0, from npm) that ingest and collect read before truncating an address. */
export const COUNTRY_DB_SOURCE =
  "node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb";

/**
 * A file (or a folder, copied whole) put into the function package next to the bundle, its Lambda path given to
 * the code in `envName`.
 */
export interface BundledFile {
  /** Absolute path on the synth machine. */
  readonly source: string;
  /** Absolute path in the function (under /var/task/). */
  readonly lambdaPath: string;
  readonly envName: string;
}

/** The named queries, for the functions that run them (aggregate's rollups). */
export function queriesFolder(queriesDir: string): BundledFile {
  return { source: queriesDir, lambdaPath: BUNDLED_QUERIES_DIR, envName: AWS_ENV.queriesDir };
}

/**
 * The bundled AS database (CC BY 4.0: RouteViews, DB-IP, NRO; npm), whose two numeric CSV files fill `provider` in
 * the security zone (about 32 MB of text).
 */
export const ASN_DB_SOURCES = {
  ipv4: "node_modules/@ip-location-db/asn/asn-ipv4-num.csv",
  ipv6: "node_modules/@ip-location-db/asn/asn-ipv6-num.csv",
} as const;

/** Where synth keeps the AS table it pre-parses (built output, gitignored; one file per version of the CSVs). */
export const ASN_TABLE_BUILD_DIR = "dist/geo";

/**
 * The AS database as the ingest function reads it: the two CSV files parsed here, at synth, into one binary table
 * file (functions/adapters/geo/asn-table-file.ts; ≈ 11 MB, built once per version of the CSVs, ≈ 0.5 s), which a
 * cold start reads in milliseconds instead of parsing the CSV in ≈ 0.4 s of CPU.
 */
export function asnTableFile(projectRoot: string): BundledFile {
  const csv = {
    ipv4: join(projectRoot, ASN_DB_SOURCES.ipv4),
    ipv6: join(projectRoot, ASN_DB_SOURCES.ipv6),
  };
  for (const source of [csv.ipv4, csv.ipv6]) {
    if (!existsSync(source))
      throw new Error(
        `logsieve: the ingest function's AS table is built from ${source}, which does not exist.`,
      );
  }
  return {
    source: ensureAsnTableFile(csv, join(projectRoot, ASN_TABLE_BUILD_DIR)),
    lambdaPath: BUNDLED_ASN_TABLE_PATH,
    envName: AWS_ENV.geoAsnTable,
  };
}

export function countryDbFile(projectRoot: string): BundledFile {
  return {
    source: join(projectRoot, COUNTRY_DB_SOURCE),
    lambdaPath: BUNDLED_COUNTRY_DB_PATH,
    envName: AWS_ENV.geoCountryDb,
  };
}

export interface LogsieveFunctionProps {
  /** Short name: used for the Powertools service name and the construct ids. */
  readonly name: string;
  /** Absolute path of the entry file exporting `handler`. */
  readonly entry: string;
  readonly projectRoot: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Readonly<Record<string, string>>;
  readonly logLevel: string;
  /** Encrypts the function's log group. */
  readonly logKey: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
  /** Files copied into the package (the country database, the tracker script); each must exist at synth. */
  readonly files?: readonly BundledFile[];
  /** Minify the bundle (default true). */
  readonly minify?: boolean;
}

/**
 * One logsieve Lambda function with the project's defaults: Node.js on arm64, ESM bundled by the LOCAL esbuild
 * (never Docker), an explicit log group with retention and KMS, Powertools settings in the environment.
 */
export class LogsieveFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  /** The function's own role: it starts with writing to its own log group and nothing else. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LogsieveFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `logsieve ${props.name} function`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    const environment: Record<string, string> = {
      [AWS_ENV.serviceName]: `logsieve-${props.name}`,
      [AWS_ENV.logLevel]: props.logLevel,
      [AWS_ENV.metricsNamespace]: "logsieve",
      NODE_OPTIONS: "--enable-source-maps",
      ...props.environment,
    };
    const files = props.files ?? [];
    for (const file of files) {
      if (!existsSync(file.source)) {
        throw new Error(`logsieve: the ${props.name} function ships ${file.source}, which does not exist.`);
      }
      environment[file.envName] = file.lambdaPath;
    }
    checkEnvironmentSize(props.name, environment);

    this.fn = new nodejs.NodejsFunction(this, "Function", {
      entry: props.entry,
      handler: "handler",
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      environment,
      logGroup: this.logGroup,
      role: this.role,
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, "package-lock.json"),
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        mainFields: ["module", "main"],
        minify: props.minify ?? true,
        sourceMap: true,
        // The SDK is bundled so the deployed version is the one the adapters were tested with.
        externalModules: [],
        // CommonJS dependencies inside an ESM bundle still call require().
        banner:
          "import { createRequire as __logsieveCreateRequire } from 'node:module'; const require = __logsieveCreateRequire(import.meta.url);",
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) =>
            files.map((f) => `cp -R "${f.source}" "${join(outputDir, basename(f.lambdaPath))}"`),
        },
      },
    });
    acknowledge(this, [
      {
        id: "Serverless-LambdaTracing",
        reason:
          "No X-Ray tracer is wired into the code; active tracing would record only Lambda's own timing segments while adding xray:* on Resource::* to every role. Durations and errors come from CloudWatch metrics and alarms.",
      },
    ]);
  }

  /** Adds statements to the function's role (and acknowledges their zone-prefix resources, nothing else). */
  allow(...statements: iam.PolicyStatement[]): void {
    for (const statement of statements) this.role.addToPolicy(statement);
    acknowledgeZoneWildcards(this, statements);
  }
}

/** Fails synth when an environment would exceed Lambda's limit (long site lists make the config JSON grow). */
export function checkEnvironmentSize(name: string, environment: Readonly<Record<string, string>>): void {
  const bytes = Object.entries(environment).reduce(
    // An unresolved token (a bucket name, a queue URL) is counted at a generous upper bound of its value.
    (sum, [k, v]) => sum + Buffer.byteLength(k) + (Token.isUnresolved(v) ? 256 : Buffer.byteLength(v)),
    0,
  );
  if (bytes > LAMBDA_ENV_LIMIT_BYTES) {
    throw new Error(
      `logsieve: the environment of the ${name} function is ${bytes} bytes, over Lambda's ${LAMBDA_ENV_LIMIT_BYTES}-byte limit; ` +
        `shorten ${AWS_ENV.config} (fewer sites or allowed query parameters).`,
    );
  }
}
