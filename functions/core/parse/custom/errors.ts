/**
 * A log format (nginx `log_format`, Apache `LogFormat`, GoAccess `log-format`, a time format) that logsieve cannot
 * read. The message names the first piece it cannot read and where; `hint` says what to write instead. Both are
 * shown to the operator as they are, so they quote the format (their own configuration), never a log line.
 */
export class FormatError extends Error {
  constructor(
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${problem}: ${hint}`);
    this.name = "FormatError";
  }
}
