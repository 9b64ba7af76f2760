import type { Command } from "commander";
import { LocalObjectStore } from "../../adapters/local/object-store.ts";
import { UsageError } from "../../cli/output.ts";
import { dashboardSites } from "../../core/dashboard/request.ts";
import { ApiKeyError, type ApiKeyRecord, parseRole } from "../../core/keys/api-keys.ts";
import { loadConfigFile } from "../../runtime/config-file.ts";
import { localActor } from "../../runtime/env.ts";
import { KeyStore } from "./store.ts";

/**
 * `logsieve keys create|list|revoke`: keys for the Stats API (`POST /api/v2/query`; docs/STATS-API.md). The key is
 * printed once, at creation; only its SHA-256 is stored — in the local lake (`<lake>/keys/`), or with `--bucket`
 * in the analytics bucket of a deployment (`keys/`, read by the Stats API's authorizer there).
 */

interface GlobalOptions {
  readonly lake: string;
  readonly config?: string;
}

interface StoreOptions {
  readonly bucket?: string;
}

async function storeFor(globals: GlobalOptions, options: StoreOptions): Promise<KeyStore> {
  if (options.bucket !== undefined) {
    // The AWS SDK is loaded only for --bucket: every other command starts without it.
    const { s3KeyStore } = await import("./aws.ts");
    return s3KeyStore(options.bucket);
  }
  return new KeyStore(new LocalObjectStore(globals.lake));
}

async function asUsage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApiKeyError) throw new UsageError(error.message);
    throw error;
  }
}

function describe(r: ApiKeyRecord): string {
  const state = r.revokedAt === null ? "active" : `revoked ${r.revokedAt} by ${r.revokedBy ?? "?"}`;
  return `${r.id}  ${r.site}  ${r.role}  ${r.name ?? "-"}  created ${r.createdAt} by ${r.createdBy}  ${state}`;
}

export function registerKeysCommand(program: Command): void {
  const keys = program
    .command("keys")
    .description("keys for the Stats API (POST /api/v2/query): create, list, revoke");
  const bucketOption = "--bucket <name>";
  const bucketHelp =
    "the deployment's analytics bucket (AWS credentials from the environment) instead of the local lake";

  keys
    .command("create")
    .description("create a key for one site and role; it is printed once, only its hash is kept")
    .requiredOption("--site <site>", "the site the key may read (one of the configuration's sites)")
    .option(
      "--role <role>",
      "marketing, security or security-lead (each may read the statistics)",
      "marketing",
    )
    .option("--name <label>", "what the key is for (shown by keys list)")
    .option(bucketOption, bucketHelp)
    .option("--json", "print the key and its record as JSON")
    .action(
      async (
        options: { site: string; role: string; name?: string; bucket?: string; json?: boolean },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals<GlobalOptions>();
        const config = await loadConfigFile(globals.config);
        const sites = dashboardSites(config);
        // The site is checked against the configuration, without repeating what was typed (it may be anything).
        if (!sites.includes(options.site.toLowerCase())) {
          throw new UsageError(`--site must be one of the configured sites: ${sites.join(", ")}`);
        }
        const created = await asUsage(async () =>
          (await storeFor(globals, options)).create({
            site: options.site.toLowerCase(),
            role: parseRole(options.role),
            name: options.name ?? null,
            who: localActor(),
            nowMs: Date.now(),
          }),
        );
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify({ key: created.key, ...created.record })}\n`);
          return;
        }
        process.stdout.write(
          `${created.key}\n` +
            `  id ${created.record.id}, site ${created.record.site}, role ${created.record.role} — shown once: only its hash is stored\n` +
            "  use it as: Authorization: Bearer <key> on POST /api/v2/query\n",
        );
      },
    );

  keys
    .command("list")
    .description("list keys (ids, sites, roles, state); the keys themselves are not stored")
    .option(bucketOption, bucketHelp)
    .option("--json", "print as JSON")
    .action(async (options: { bucket?: string; json?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const records = await asUsage(async () => (await storeFor(globals, options)).list());
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(records)}\n`);
        return;
      }
      process.stdout.write(records.length === 0 ? "no keys\n" : `${records.map(describe).join("\n")}\n`);
    });

  keys
    .command("revoke")
    .description("revoke a key by the id keys list shows; its record stays, marked revoked")
    .argument("<id>", "the key's id (12 hex digits)")
    .option(bucketOption, bucketHelp)
    .action(async (id: string, options: { bucket?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const record = await asUsage(async () =>
        (await storeFor(globals, options)).revoke(id, localActor(), Date.now()),
      );
      process.stdout.write(`${describe(record)}\n`);
    });
}
