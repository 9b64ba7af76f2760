import type { Command } from "commander";
import { UsageError } from "../../cli/output.ts";
import type { AuditEvent } from "../../core/hold/audit.ts";
import {
  createHold,
  HoldError,
  type HoldSummary,
  listHolds,
  releaseHold,
  showHold,
} from "../../core/hold/holds.ts";
import { IncidentIdError } from "../../core/hold/manifest.ts";
import { redactAddresses } from "../../core/hold/redact.ts";
import { parseSelection, SelectionError } from "../../core/hold/selection.ts";
import { localActor } from "../../runtime/env.ts";
import { localHoldDeps } from "./local.ts";

/**
 * `logsieve hold create|list|show|release`: legal holds over the local lake (the security lead's tool).
 * The evidence itself (records with full addresses) stays in `evidence/`; what is printed here names the kind of
 * selection, never its address, and reasons are shown with addresses removed.
 */

interface GlobalOptions {
  readonly lake: string;
  readonly config?: string;
}

/** Turns the core's "you can fix this" errors into usage errors (exit code 2, a hint, no stack). */
async function asUsage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HoldError) throw new UsageError(error.message, error.hint);
    if (error instanceof SelectionError || error instanceof IncidentIdError)
      throw new UsageError(error.message);
    throw error;
  }
}

export function registerHoldCommand(program: Command): void {
  const hold = program
    .command("hold")
    .description("legal holds: keep an incident's security records as evidence beyond the retention");

  hold
    .command("create")
    .description("copy the matching security records into evidence/incident=<ID>/ under a legal hold")
    .requiredOption("--incident <id>", "the incident id (letters, digits, '.', '_', '-')")
    .option("--ip <address>", "one client address")
    .option("--prefix <cidr>", "a network, e.g. 192.0.2.0/24")
    .option("--from <time>", "first access to keep (ISO-8601 with zone, or a day)")
    .option("--to <time>", "keep accesses before this time")
    .requiredOption(
      "--reason <text>",
      "why (a ticket, the incident); written to the manifest and the audit trail",
    )
    .option("--json", "print the result as JSON")
    .action(
      async (
        options: {
          incident: string;
          ip?: string;
          prefix?: string;
          from?: string;
          to?: string;
          reason: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals<GlobalOptions>();
        const result = await asUsage(async () => {
          const selection = parseSelection(options);
          return createHold(localHoldDeps(globals.lake), {
            incident: options.incident,
            selection,
            reason: options.reason,
            who: localActor(),
          });
        });
        const m = result.manifest;
        if (options.json === true) {
          process.stdout.write(
            `${JSON.stringify({ incident: m.incident, resumed: result.resumed, records: m.records, objects: m.objects, sources: m.sources.length, auditKey: result.auditKey })}\n`,
          );
          return;
        }
        process.stdout.write(
          [
            `${result.resumed ? "completed" : "placed"} legal hold ${m.incident}: ${m.records} record(s) by ${m.selection.kind}, from ${m.sources.length} security object(s)`,
            ...m.objects.map((o) => `  ${o.key}  sha256 ${o.sha256}`),
            `  evidence files are read-only; the manifest is ${`evidence/incident=${m.incident}/manifest.json`}`,
            `  audit: ${result.auditKey ?? "(already recorded)"}`,
            "",
          ].join("\n"),
        );
      },
    );

  hold
    .command("list")
    .description("list incidents with evidence and the state of their hold")
    .option("--json", "print as JSON")
    .action(async (options: { json?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const holds = await listHolds(localHoldDeps(globals.lake));
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(holds)}\n`);
        return;
      }
      if (holds.length === 0) {
        process.stdout.write("no incidents on hold\n");
        return;
      }
      process.stdout.write(`${holds.map(formatSummary).join("\n")}\n`);
    });

  hold
    .command("show")
    .description("show one incident: manifest, objects checked against their checksums, audit events")
    .argument("<id>", "the incident id")
    .option("--json", "print as JSON")
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const deps = localHoldDeps(globals.lake);
      const details = await asUsage(() => showHold(deps, id));
      // The selection's address is evidence: it stays in the manifest file and is not printed.
      const manifest =
        details.manifest === null
          ? null
          : {
              ...details.manifest,
              reason: redactAddresses(details.manifest.reason),
              selection: { ...details.manifest.selection, value: "(see the manifest in the evidence zone)" },
            };
      const release =
        details.release === null
          ? null
          : { ...details.release, reason: redactAddresses(details.release.reason) };
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify({ ...details, manifest, release })}\n`);
        return;
      }
      const lines = [formatSummary(details.summary)];
      if (manifest !== null) {
        lines.push(
          `  selection: ${manifest.selection.kind}, from ${manifest.selection.from ?? "the oldest record"} to ${manifest.selection.to ?? "the newest record"}`,
          `  protection: ${manifest.protection}`,
          `  sources: ${manifest.sources.length} security object(s)`,
        );
      }
      for (const o of details.objects) {
        const check = o.intact === null ? "" : o.intact ? ", checksum ok" : ", CHECKSUM MISMATCH";
        lines.push(`  ${o.key}  ${o.size} bytes, legal hold ${o.legalHold}${check}`);
      }
      lines.push("  audit:");
      for (const event of details.audit) lines.push(`    ${formatAudit(event)}`);
      process.stdout.write(`${lines.join("\n")}\n`);
      if (details.objects.some((o) => o.intact === false)) process.exitCode = 1;
    });

  hold
    .command("release")
    .description("lift the legal hold of an incident; the next sweep deletes its evidence")
    .argument("<id>", "the incident id")
    .requiredOption("--reason <text>", "why the hold ends (e.g. case closed)")
    .option("--json", "print the result as JSON")
    .action(async (id: string, options: { reason: string; json?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const result = await asUsage(() =>
        releaseHold(localHoldDeps(globals.lake), { incident: id, reason: options.reason, who: localActor() }),
      );
      if (options.json === true) {
        process.stdout.write(
          `${JSON.stringify({ ...result, release: { ...result.release, reason: redactAddresses(result.release.reason) } })}\n`,
        );
        return;
      }
      process.stdout.write(
        `${result.alreadyReleased ? "already released" : "released"} ${id}: ${result.versionsReleased} object(s) unlocked; the next \`logsieve expire\` deletes the evidence\n`,
      );
    });
}

function formatSummary(s: HoldSummary): string {
  const created = s.createdAt === null ? "" : ` created ${s.createdAt} by ${s.createdBy}`;
  const released = s.releasedAt === null ? "" : `, released ${s.releasedAt} by ${s.releasedBy}`;
  const records = s.records === null ? "" : `, ${s.records} record(s) by ${s.selectionKind}`;
  const reason = s.reason === null ? "" : ` — ${s.reason}`;
  return `${s.incident}  ${s.status}${created}${records}${released}${reason}`;
}

function formatAudit(event: AuditEvent): string {
  switch (event.event) {
    case "hold-created":
      return `${event.at} created by ${event.by}: ${event.records} record(s); ${event.reason}`;
    case "hold-released":
      return `${event.at} released by ${event.by}: ${event.versionsReleased} version(s) unlocked; ${event.reason}`;
    case "evidence-swept":
      return `${event.at} swept by ${event.by}: ${event.versionsDeleted} version(s) deleted`;
  }
}
