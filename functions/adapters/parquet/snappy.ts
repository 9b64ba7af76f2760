/**
 * Snappy compression (the raw format Parquet uses, no framing) into a caller's buffer.
 *
 * The algorithm is the reference one as snappyjs ports it (MIT, Copyright (c) 2016 Zhipeng Jia), which
 * hyparquet-writer also ships: 64 KiB fragments, a hash table of 4-byte sequences, literals and copies. This version
 * writes into one output array the caller reuses (hyparquet-writer's grows a fresh buffer byte by byte for every
 * page), with the hash multiplication done in 32-bit integers. Any valid Snappy stream decodes the same, and this one
 * depends only on the input, so files stay byte-identical for the same rows.
 */

const BLOCK_SIZE = 1 << 16;
const MAX_HASH_TABLE_BITS = 14;
const INPUT_MARGIN = 15;
/** One hash table per size, reused (everything here is synchronous). */
const hashTables: (Uint16Array | undefined)[] = [];

/** The most bytes `input.length` bytes can take compressed. */
export function maxCompressedLength(length: number): number {
  return 32 + length + Math.ceil(length / 6);
}

function load32(a: Uint8Array, i: number): number {
  return (
    (a[i] as number) |
    ((a[i + 1] as number) << 8) |
    ((a[i + 2] as number) << 16) |
    ((a[i + 3] as number) << 24)
  );
}

function equals32(a: Uint8Array, i: number, j: number): boolean {
  return a[i] === a[j] && a[i + 1] === a[j + 1] && a[i + 2] === a[j + 2] && a[i + 3] === a[j + 3];
}

function emitLiteral(input: Uint8Array, from: number, length: number, out: Uint8Array, at: number): number {
  let op = at;
  if (length <= 60) {
    out[op++] = (length - 1) << 2;
  } else if (length <= 256) {
    out[op++] = 60 << 2;
    out[op++] = length - 1;
  } else {
    out[op++] = 61 << 2;
    out[op++] = (length - 1) & 0xff;
    out[op++] = (length - 1) >>> 8;
  }
  if (length < 32) {
    for (let i = 0; i < length; i++) out[op + i] = input[from + i] as number;
  } else {
    out.set(input.subarray(from, from + length), op);
  }
  return op + length;
}

function emitCopyUpTo64(out: Uint8Array, at: number, offset: number, length: number): number {
  if (length < 12 && offset < 2048) {
    out[at] = 1 + ((length - 4) << 2) + ((offset >>> 8) << 5);
    out[at + 1] = offset & 0xff;
    return at + 2;
  }
  out[at] = 2 + ((length - 1) << 2);
  out[at + 1] = offset & 0xff;
  out[at + 2] = offset >>> 8;
  return at + 3;
}

function emitCopy(out: Uint8Array, at: number, offset: number, length: number): number {
  let op = at;
  let left = length;
  while (left >= 68) {
    op = emitCopyUpTo64(out, op, offset, 64);
    left -= 64;
  }
  if (left > 64) {
    op = emitCopyUpTo64(out, op, offset, 60);
    left -= 60;
  }
  return emitCopyUpTo64(out, op, offset, left);
}

function compressFragment(
  input: Uint8Array,
  start: number,
  size: number,
  out: Uint8Array,
  at: number,
): number {
  let bits = 1;
  while (1 << bits <= size && bits <= MAX_HASH_TABLE_BITS) bits++;
  bits--;
  const shift = 32 - bits;
  let table = hashTables[bits];
  if (table === undefined) {
    table = new Uint16Array(1 << bits);
    hashTables[bits] = table;
  } else table.fill(0);
  const hash = (key: number): number => Math.imul(key, 0x1e35a7bd) >>> shift;

  let op = at;
  const end = start + size;
  let nextEmit = start;
  if (size >= INPUT_MARGIN) {
    const limit = end - INPUT_MARGIN;
    let ip = start + 1;
    let nextHash = hash(load32(input, ip));
    outer: for (;;) {
      // Look for a 4-byte match, skipping faster through input that does not compress.
      let skip = 32;
      let nextIp = ip;
      let candidate: number;
      do {
        ip = nextIp;
        const h = nextHash;
        nextIp = ip + (skip >>> 5);
        skip++;
        if (ip > limit) break outer;
        nextHash = hash(load32(input, nextIp));
        candidate = start + (table[h] as number);
        table[h] = ip - start;
      } while (!equals32(input, ip, candidate));
      op = emitLiteral(input, nextEmit, ip - nextEmit, out, op);
      // Emit copies while the bytes after a match match again.
      do {
        const base = ip;
        let matched = 4;
        while (ip + matched < end && input[ip + matched] === input[candidate + matched]) matched++;
        ip += matched;
        op = emitCopy(out, op, base - candidate, matched);
        nextEmit = ip;
        if (ip >= limit) break outer;
        table[hash(load32(input, ip - 1))] = ip - 1 - start;
        const h = hash(load32(input, ip));
        candidate = start + (table[h] as number);
        table[h] = ip - start;
      } while (equals32(input, ip, candidate));
      ip++;
      nextHash = hash(load32(input, ip));
    }
  }
  if (nextEmit < end) op = emitLiteral(input, nextEmit, end - nextEmit, out, op);
  return op;
}

/**
 * Compresses `input` into `out` from index 0 and returns the compressed length. `out` must hold at least
 * {@link maxCompressedLength}(input.length) bytes.
 */
export function snappyCompressInto(input: Uint8Array, out: Uint8Array): number {
  let op = 0;
  // The uncompressed length as a varint.
  let length = input.length;
  while (length >= 0x80) {
    out[op++] = (length & 0x7f) | 0x80;
    length >>>= 7;
  }
  out[op++] = length;
  for (let pos = 0; pos < input.length; pos += BLOCK_SIZE) {
    op = compressFragment(input, pos, Math.min(BLOCK_SIZE, input.length - pos), out, op);
  }
  return op;
}
