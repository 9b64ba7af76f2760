import type { Command } from "commander";
import { UsageError } from "../../cli/output.ts";
import { UPSTREAM } from "../../core/spam/list-source.ts";
import { REFERRER_SPAM_LIST } from "../../core/spam/referrer-spam-list.ts";
import { SpamListError, updateSpamList } from "./update.ts";

/**
 * `logsieve spamlist show|update`: the referrer spam list logsieve filters with (docs/PRIVACY.md, "Referrer spam").
 * `show` prints where the shipped copy came from and when; `update` replaces it with the current maintained list.
 */
export function registerSpamListCommand(program: Command): void {
  const spamlist = program
    .command("spamlist")
    .description("the referrer spam list (Matomo's community list): show the shipped copy, or update it");

  spamlist
    .command("show")
    .description("print the shipped copy's source, date and size")
    .action(() => {
      const list = REFERRER_SPAM_LIST;
      process.stdout.write(
        [
          `referrer spam list: ${list.hosts.length} hosts (a host matches itself and its subdomains)`,
          `  maintained at ${UPSTREAM.url}; licence: ${UPSTREAM.licence}`,
          `  this copy: read ${list.retrieved} from ${list.readFrom}${list.revision === null ? "" : ` (revision ${list.revision})`}`,
          `  sha256 ${list.sha256}`,
          "  update it with `logsieve spamlist update`; add your own hosts with referrerSpam.extraHosts",
          "",
        ].join("\n"),
      );
    });

  spamlist
    .command("update")
    .description("fetch the maintained list and rewrite the shipped copy (then commit it and deploy)")
    .option("--from <url-or-file>", "where to read spammers.txt", UPSTREAM.file)
    .option("--revision <commit>", "the upstream commit the list is from, recorded in the copy")
    .option("--out <file>", "write here instead of the shipped copy")
    .action(async (options: { from: string; revision?: string; out?: string }) => {
      try {
        const result = await updateSpamList({
          from: options.from,
          ...(options.revision === undefined ? {} : { revision: options.revision }),
          ...(options.out === undefined ? {} : { out: options.out }),
        });
        process.stdout.write(
          [
            `wrote ${result.out}: ${result.hosts} hosts from ${result.readFrom}`,
            `  ${result.added.length} added${result.added.length > 0 ? ` (${result.added.slice(0, 10).join(", ")}${result.added.length > 10 ? ", …" : ""})` : ""}`,
            `  ${result.removed.length} removed${result.removed.length > 0 ? ` (${result.removed.slice(0, 10).join(", ")}${result.removed.length > 10 ? ", …" : ""})` : ""}`,
            "",
          ].join("\n"),
        );
      } catch (error) {
        if (error instanceof SpamListError)
          throw new UsageError(error.message, "pass --from with the URL or a downloaded spammers.txt");
        throw error;
      }
    });
}
