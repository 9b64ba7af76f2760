/**
 * Names callers give to inputs (standard input's `--input-id`, the collector's batch id): they end up in object keys
 * and checkpoint names, so they are checked here. Log files and objects need none: they are identified by their
 * content (core/ingest/checkpoint.ts).
 */

/** Checks an id given by a caller (stdin, the collector's batch id): it ends up in object keys. */
export function checkInputId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id)) {
    throw new Error(
      "an input id is 1 to 64 characters, letters, digits, '-' or '_', starting with a letter or digit (it becomes part of object keys)",
    );
  }
  return id;
}
