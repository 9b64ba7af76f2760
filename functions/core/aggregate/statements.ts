/**
 * The only engine-specific SQL: the wrappers that write a SELECT's result as Parquet. The SELECT text inside is
 * the same on both engines, byte for byte; its placeholders keep their order, so the same bound values apply.
 */

/** A single-quoted SQL string literal (quotes doubled). Paths are ours, but a lake folder may contain a quote. */
export function sqlStringLiteral(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a control character never belongs in a path literal.
  if (/[\u0000-\u001f]/.test(text))
    throw new Error("a path written into SQL must not contain control characters");
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * DuckDB: `COPY (<select>) TO '<file>'` as one Parquet file. With the SELECT's complete ORDER BY and insertion
 * order preserved, the file's bytes depend only on the rows (checked in the tests).
 */
export function duckDbCopyToParquet(select: string, file: string): string {
  return `COPY (\n${select}\n) TO ${sqlStringLiteral(file)} (FORMAT parquet, COMPRESSION snappy)`;
}

/**
 * Athena: `UNLOAD (<select>) TO 's3://.../'`. The target prefix must be empty (Athena refuses to overwrite),
 * so the caller deletes the day's partition first. Athena names the files itself.
 */
export function athenaUnloadToParquet(select: string, s3Prefix: string): string {
  if (!/^s3:\/\/[a-z0-9.-]+\/.+\/$/.test(s3Prefix)) {
    throw new Error("an UNLOAD target is an s3://bucket/prefix/ ending with a slash");
  }
  return `UNLOAD (\n${select}\n) TO ${sqlStringLiteral(s3Prefix)} WITH (format = 'PARQUET', compression = 'SNAPPY')`;
}
