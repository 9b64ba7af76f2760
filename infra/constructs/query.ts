import { Stack } from "aws-cdk-lib";
import * as athena from "aws-cdk-lib/aws-athena";
import * as glue from "aws-cdk-lib/aws-glue";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import type { LogsieveConfig } from "../../functions/core/config.ts";
import {
  ADDRESS_LOOKUP_PARTITION,
  ADDRESS_LOOKUP_PREFIX,
  ADDRESS_LOOKUP_SCHEMA,
  ADDRESS_LOOKUP_TABLE,
} from "../../functions/core/security/address-lookup.ts";
import type { TableSchema } from "../../functions/ports/table-encoder.ts";
import { glueColumns, type LakeTable, lakeTables } from "./lake-tables.ts";
import { type QueryAudience, readQueryFiles } from "./named-queries.ts";
import { hoursToBackstopDays } from "./settings.ts";

const GIB = 1024 ** 3;

export interface WorkgroupSpec {
  readonly name: string;
  /** Prefix of the results bucket this workgroup writes to, with a trailing slash. */
  readonly resultPrefix: string;
  readonly resultKey: kms.IKey;
  readonly bytesScannedCutoff: number;
}

export interface QueryLayerProps {
  readonly config: LogsieveConfig;
  readonly rawBucket: s3.IBucket;
  readonly analyticsBucket: s3.IBucket;
  readonly resultsBucket: s3.IBucket;
  /** Keys the results of each workgroup are encrypted with. */
  readonly keys: Readonly<Record<QueryAudience, kms.IKey>>;
  readonly scanLimitGiB: Readonly<Record<QueryAudience, number>>;
  /** Names start with this (workgroups are account-wide). Default `logsieve-`. */
  readonly namePrefix?: string;
  /** Folder of `<area>.<Name>.sql` files registered as named queries. */
  readonly queriesDir: string;
  /** The stats rollup tables; default STATS_TABLES. */
  readonly statsTables?: readonly TableSchema[];
}

/**
 * Glue database and tables with partition projection (no crawler, no MSCK REPAIR: Athena computes the
 * partitions from the key layout), Athena workgroups with enforced, KMS-encrypted results and a scan cutoff, and
 * the `queries/` files as named queries.
 */
export class QueryLayer extends Construct {
  readonly databaseName: string;
  readonly tables: readonly LakeTable[];
  readonly workgroups: Readonly<Record<QueryAudience, WorkgroupSpec>>;

  constructor(scope: Construct, id: string, props: QueryLayerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = props.namePrefix ?? "logsieve-";
    this.databaseName = prefix.replace(/[^a-z0-9_]/g, "_").replace(/_+$/, "") || "logsieve";

    const database = new glue.CfnDatabase(this, "Database", {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: "logsieve lake: events, security, rejects and the daily stats rollups",
      },
    });

    this.tables = lakeTables(props.statsTables);
    for (const table of this.tables) {
      const bucket = table.bucket === "raw" ? props.rawBucket : props.analyticsBucket;
      const cfn = new glue.CfnTable(this, `Table-${table.tableName}`, {
        catalogId: stack.account,
        databaseName: this.databaseName,
        tableInput: {
          name: table.tableName,
          description: `logsieve ${table.zone} zone: s3://.../${table.prefix}`,
          tableType: "EXTERNAL_TABLE",
          partitionKeys:
            table.unpartitioned === true
              ? []
              : table.hourly
                ? [
                    { name: "dt", type: "string" },
                    { name: "hour", type: "string" },
                  ]
                : [{ name: "dt", type: "string" }],
          parameters: {
            classification: "parquet",
            EXTERNAL: "TRUE",
            "parquet.compression": "SNAPPY",
            ...(table.unpartitioned === true ? {} : projection(table, bucket, props.config)),
          },
          storageDescriptor: {
            columns: glueColumns(table.schema),
            location: `s3://${bucket.bucketName}/${table.prefix}`,
            inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            serdeInfo: {
              serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
              parameters: { "serialization.format": "1" },
            },
          },
        },
      });
      cfn.addResourceDependency(database);
    }

    // The address lookups of security queries (core/security/address-lookup.ts): one partition per lookup, named
    // by the query's only parameter. Injected projection: Athena reads exactly the partition the query names.
    const lookups = new glue.CfnTable(this, "Table-lookups", {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: ADDRESS_LOOKUP_TABLE,
        description: "logsieve address lookups of security queries (each deleted when its query ends)",
        tableType: "EXTERNAL_TABLE",
        partitionKeys: [{ name: ADDRESS_LOOKUP_PARTITION, type: "string" }],
        parameters: {
          classification: "parquet",
          EXTERNAL: "TRUE",
          "projection.enabled": "true",
          [`projection.${ADDRESS_LOOKUP_PARTITION}.type`]: "injected",
          "storage.location.template": `s3://${props.rawBucket.bucketName}/${ADDRESS_LOOKUP_PREFIX}${ADDRESS_LOOKUP_PARTITION}=\${${ADDRESS_LOOKUP_PARTITION}}/`,
        },
        storageDescriptor: {
          columns: glueColumns(ADDRESS_LOOKUP_SCHEMA),
          location: `s3://${props.rawBucket.bucketName}/${ADDRESS_LOOKUP_PREFIX}`,
          inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
          serdeInfo: {
            serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            parameters: { "serialization.format": "1" },
          },
        },
      },
    });
    lookups.addResourceDependency(database);

    const spec = (audience: QueryAudience): WorkgroupSpec => ({
      name: `${prefix}${audience}`,
      resultPrefix: `${audience}/`,
      resultKey: props.keys[audience],
      bytesScannedCutoff: Math.round(props.scanLimitGiB[audience] * GIB),
    });
    this.workgroups = {
      marketing: spec("marketing"),
      security: spec("security"),
      pipeline: spec("pipeline"),
    };

    const workgroups = {} as Record<QueryAudience, athena.CfnWorkGroup>;
    for (const audience of ["marketing", "security", "pipeline"] as const) {
      const wg = this.workgroups[audience];
      workgroups[audience] = new athena.CfnWorkGroup(this, `WorkGroup-${audience}`, {
        name: wg.name,
        description: `logsieve ${audience} queries`,
        state: "ENABLED",
        // Lets `cdk destroy` remove the workgroup together with its saved queries and history.
        recursiveDeleteOption: true,
        workGroupConfiguration: {
          enforceWorkGroupConfiguration: true,
          publishCloudWatchMetricsEnabled: true,
          requesterPaysEnabled: false,
          bytesScannedCutoffPerQuery: wg.bytesScannedCutoff,
          engineVersion: { selectedEngineVersion: "Athena engine version 3" },
          resultConfiguration: {
            outputLocation: `s3://${props.resultsBucket.bucketName}/${wg.resultPrefix}`,
            encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKey: wg.resultKey.keyArn },
            expectedBucketOwner: stack.account,
          },
        },
      });
    }

    for (const query of readQueryFiles(props.queriesDir)) {
      const nq = new athena.CfnNamedQuery(this, `Query-${query.name}`, {
        name: query.name,
        description: query.description,
        database: this.databaseName,
        queryString: query.sql,
        workGroup: this.workgroups[query.audience].name,
      });
      nq.addResourceDependency(workgroups[query.audience]);
      nq.addResourceDependency(database);
    }
  }
}

/**
 * Partition projection parameters. The `dt` range is relative to today and bounded by the zone's retention (plus
 * one day for the backstop's rounding), so a query can never plan partitions the sweeper has already removed.
 */
export function projection(
  table: LakeTable,
  bucket: s3.IBucket,
  config: LogsieveConfig,
): Record<string, string> {
  const r = config.retention;
  const range = (() => {
    switch (table.zone) {
      case "security":
        return `NOW-${hoursToBackstopDays(r.securityHours) + 1}DAYS,NOW`;
      case "rejects":
        return `NOW-${hoursToBackstopDays(r.rejectsHours) + 1}DAYS,NOW`;
      case "events":
        return `NOW-${r.eventsDays + 1}DAYS,NOW`;
      default:
        return `NOW-${r.statsMonths + 1}MONTHS,NOW`;
    }
  })();
  const params: Record<string, string> = {
    "projection.enabled": "true",
    "projection.dt.type": "date",
    "projection.dt.format": "yyyy-MM-dd",
    "projection.dt.range": range,
    "projection.dt.interval": "1",
    "projection.dt.interval.unit": "DAYS",
  };
  if (table.hourly) {
    params["projection.hour.type"] = "integer";
    params["projection.hour.range"] = "0,23";
    params["projection.hour.digits"] = "2";
    params["storage.location.template"] = `s3://${bucket.bucketName}/${table.prefix}dt=\${dt}/hour=\${hour}/`;
  } else {
    params["storage.location.template"] = `s3://${bucket.bucketName}/${table.prefix}dt=\${dt}/`;
  }
  return params;
}
