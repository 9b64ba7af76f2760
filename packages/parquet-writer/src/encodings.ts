import type { ByteBuffer } from "./bytes.ts";

/**
 * The value encodings of the Parquet format that this writer uses besides PLAIN: the RLE / bit-packed hybrid
 * (definition levels, dictionary indexes, booleans) and DELTA_BINARY_PACKED (integers and timestamps).
 */

// ---------------------------------------------------------------------------------------------------------------
// RLE / bit-packed hybrid

/**
 * Bit-packs `groups` groups of 8 values starting at `start` (values past `end` are written as 0), LSB first, after
 * the bit-packed run header.
 */
function packGroups(
  out: ByteBuffer,
  values: ArrayLike<number>,
  start: number,
  groups: number,
  end: number,
  bitWidth: number,
): void {
  out.varint(groups * 2 + 1);
  const count = groups * 8;
  out.ensure(groups * bitWidth);
  const b = out.bytes;
  let p = out.pos;
  if (bitWidth === 1) {
    for (let g = 0; g < count; g += 8) {
      const i = start + g;
      let byte = 0;
      for (let k = 0; k < 8; k++) if (i + k < end && (values[i + k] as number) !== 0) byte |= 1 << k;
      b[p++] = byte;
    }
  } else if (bitWidth <= 24) {
    let buffer = 0;
    let bits = 0;
    // The values before `end` without a bounds check, then the last group's padding zeros.
    const full = Math.min(count, end - start);
    for (let k = 0; k < full; k++) {
      buffer |= (values[start + k] as number) << bits;
      bits += bitWidth;
      while (bits >= 8) {
        b[p++] = buffer & 0xff;
        buffer >>>= 8;
        bits -= 8;
      }
    }
    for (let k = full; k < count; k++) {
      bits += bitWidth;
      while (bits >= 8) {
        b[p++] = buffer & 0xff;
        buffer >>>= 8;
        bits -= 8;
      }
    }
  } else {
    let buffer = 0;
    let bits = 0;
    for (let k = 0; k < count; k++) {
      const i = start + k;
      let v = i < end ? (values[i] as number) >>> 0 : 0;
      let left = bitWidth;
      while (left > 0) {
        const take = Math.min(left, 8 - bits);
        buffer |= (v & ((1 << take) - 1)) << bits;
        v >>>= take;
        left -= take;
        bits += take;
        if (bits === 8) {
          b[p++] = buffer;
          buffer = 0;
          bits = 0;
        }
      }
    }
  }
  out.pos = p;
}

/** Values `[start, end)` as an RLE/bit-packed hybrid: runs of 8 or more repeats as RLE runs, the rest bit-packed. */
export function writeHybrid(
  out: ByteBuffer,
  values: ArrayLike<number>,
  start: number,
  end: number,
  bitWidth: number,
): void {
  const byteWidth = (bitWidth + 7) >> 3;
  let i = start;
  let groupStart = start;
  let groups = 0;
  while (i < end) {
    const v = values[i] as number;
    let run = 1;
    while (i + run < end && values[i + run] === v) run++;
    if (run >= 8) {
      if (groups > 0) {
        packGroups(out, values, groupStart, groups, end, bitWidth);
        groups = 0;
      }
      out.varint(run * 2);
      for (let k = 0; k < byteWidth; k++) out.u8((v >>> (8 * k)) & 0xff);
      i += run;
    } else {
      if (groups === 0) groupStart = i;
      groups++;
      i += 8;
    }
  }
  if (groups > 0) packGroups(out, values, groupStart, groups, end, bitWidth);
}

/**
 * Definition levels: {@link writeHybrid} of `flags[start, end)` (bytes, 0 = null) at bit width 1 — the same bytes —
 * returning how many are 0. Columns are mostly all values or all nulls, so runs are measured four bytes at a time
 * (one pass over the flags instead of three: counting a chunk's nulls, a page's nulls, and the runs).
 */
export function writeLevels(out: ByteBuffer, flags: Uint8Array, start: number, end: number): number {
  const offset = flags.byteOffset;
  // Aligned 32-bit words over the flags' buffer: word w holds bytes 4w..4w+3 of the buffer.
  const words = new Uint32Array(flags.buffer, 0, flags.buffer.byteLength >>> 2);
  let zeros = 0;
  let i = start;
  let groupStart = start;
  let groups = 0;
  while (i < end) {
    const v = flags[i] as number;
    let j = i + 1;
    while (j < end && ((offset + j) & 3) !== 0 && flags[j] === v) j++;
    if (j < end && ((offset + j) & 3) === 0 && flags[j] === v) {
      const pattern = v * 0x01010101;
      while (j + 4 <= end && words[(offset + j) >>> 2] === pattern) j += 4;
      while (j < end && flags[j] === v) j++;
    }
    const run = j - i;
    if (run >= 8) {
      if (groups > 0) {
        zeros += zerosIn(flags, groupStart, Math.min(end, groupStart + groups * 8));
        packGroups(out, flags, groupStart, groups, end, 1);
        groups = 0;
      }
      out.varint(run * 2);
      out.u8(v);
      if (v === 0) zeros += run;
      i += run;
    } else {
      if (groups === 0) groupStart = i;
      groups++;
      i += 8;
    }
  }
  if (groups > 0) {
    zeros += zerosIn(flags, groupStart, Math.min(end, groupStart + groups * 8));
    packGroups(out, flags, groupStart, groups, end, 1);
  }
  return zeros;
}

function zerosIn(flags: Uint8Array, start: number, end: number): number {
  let zeros = 0;
  for (let i = start; i < end; i++) if (flags[i] === 0) zeros++;
  return zeros;
}

export function bitWidthOf(maxValue: number): number {
  return maxValue <= 0 ? 0 : 32 - Math.clz32(maxValue);
}

// ---------------------------------------------------------------------------------------------------------------
// DELTA_BINARY_PACKED on numbers

const BLOCK = 128;
const MINIBLOCKS = 4;
const PER_MINIBLOCK = BLOCK / MINIBLOCKS;
/** Values within ±2^51 have deltas and adjusted deltas below 2^53: exact as numbers. */
const DELTA_SAFE = 2 ** 51;

/**
 * DELTA_BINARY_PACKED of integer numbers (block 128, 4 miniblocks: the layout hyparquet-writer and parquet-java
 * write). Returns false, having written nothing, when a value or a packed width is beyond what numbers hold
 * exactly; the caller then uses {@link deltaPackBigInts}.
 */
export function deltaPackNumbers(out: ByteBuffer, values: ArrayLike<number>, count: number): boolean {
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    if (!(v >= -DELTA_SAFE && v <= DELTA_SAFE)) return false;
  }
  const start = out.pos;
  out.varint(BLOCK);
  out.varint(MINIBLOCKS);
  out.varint(count);
  if (count === 0) {
    out.varint(0);
    return true;
  }
  out.zigzag(values[0] as number);
  const deltas = new Float64Array(BLOCK);
  const widths = new Uint8Array(MINIBLOCKS);
  let index = 1;
  while (index < count) {
    const blockEnd = Math.min(index + BLOCK, count);
    const size = blockEnd - index;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < size; i++) {
      const d = (values[index + i] as number) - (values[index + i - 1] as number);
      deltas[i] = d;
      if (d < min) min = d;
    }
    out.zigzag(min);
    for (let mb = 0; mb < MINIBLOCKS; mb++) {
      const from = mb * PER_MINIBLOCK;
      const to = Math.min(from + PER_MINIBLOCK, size);
      let max = 0;
      for (let i = from; i < to; i++) {
        const adjusted = (deltas[i] as number) - min;
        if (adjusted > max) max = adjusted;
      }
      const width = max === 0 ? 0 : Math.floor(Math.log2(max)) + 1;
      // log2 of a number just below a power of two can round up: make sure max fits.
      widths[mb] = width > 0 && 2 ** (width - 1) > max ? width - 1 : width;
      if ((widths[mb] as number) > 45) {
        out.pos = start;
        return false;
      }
    }
    out.raw(widths);
    for (let mb = 0; mb < MINIBLOCKS; mb++) {
      const width = widths[mb] as number;
      if (width === 0) continue;
      const from = mb * PER_MINIBLOCK;
      const to = Math.min(from + PER_MINIBLOCK, size);
      out.ensure(width * 4);
      const b = out.bytes;
      let p = out.pos;
      let buffer = 0;
      let bits = 0;
      if (width <= 24) {
        for (let i = 0; i < PER_MINIBLOCK; i++) {
          const k = from + i;
          const adjusted = k < to ? (deltas[k] as number) - min : 0;
          buffer |= adjusted << bits;
          bits += width;
          while (bits >= 8) {
            b[p++] = buffer & 0xff;
            buffer >>>= 8;
            bits -= 8;
          }
        }
      } else {
        // Arithmetic packing: at most 7 pending bits plus 45 data bits stay below 2^53.
        for (let i = 0; i < PER_MINIBLOCK; i++) {
          const k = from + i;
          const adjusted = k < to ? (deltas[k] as number) - min : 0;
          buffer += adjusted * 2 ** bits;
          bits += width;
          while (bits >= 8) {
            b[p++] = buffer % 0x100;
            buffer = Math.floor(buffer / 0x100);
            bits -= 8;
          }
        }
      }
      out.pos = p;
    }
    index = blockEnd;
  }
  return true;
}

/**
 * DELTA_BINARY_PACKED of signed 64-bit integers with BigInt arithmetic, for values whose deltas numbers cannot hold
 * exactly. Deltas wrap around at 64 bits, as the format wants. Ported from hyparquet-writer's `deltaBinaryPack`
 * (MIT, Copyright (c) Hyperparam), so both write the same bytes.
 */
export function deltaPackBigInts(out: ByteBuffer, values: readonly bigint[]): void {
  const count = values.length;
  out.varint(BLOCK);
  out.varint(MINIBLOCKS);
  out.varint(count);
  if (count === 0) {
    out.varint(0);
    return;
  }
  zigzagBigInt(out, BigInt.asIntN(64, values[0] as bigint));
  const deltas = new BigInt64Array(BLOCK);
  const widths = new Uint8Array(MINIBLOCKS);
  let index = 1;
  while (index < count) {
    const blockEnd = Math.min(index + BLOCK, count);
    const size = blockEnd - index;
    // BigInt64Array wraps each delta to 64 bits; the minimum is taken over the wrapped values.
    let min = 0n;
    for (let i = 0; i < size; i++) {
      deltas[i] = (values[index + i] as bigint) - (values[index + i - 1] as bigint);
      const delta = deltas[i] as bigint;
      if (i === 0 || delta < min) min = delta;
    }
    zigzagBigInt(out, min);
    for (let mb = 0; mb < MINIBLOCKS; mb++) {
      const from = mb * PER_MINIBLOCK;
      const to = Math.min(from + PER_MINIBLOCK, size);
      let max = 0n;
      for (let i = from; i < to; i++) {
        const adjusted = (deltas[i] as bigint) - min;
        if (adjusted > max) max = adjusted;
      }
      let width = 0;
      for (let v = max; v > 0n; v >>= 1n) width++;
      widths[mb] = width;
    }
    out.raw(widths);
    for (let mb = 0; mb < MINIBLOCKS; mb++) {
      const width = widths[mb] as number;
      if (width === 0) continue;
      const from = mb * PER_MINIBLOCK;
      const to = Math.min(from + PER_MINIBLOCK, size);
      let buffer = 0n;
      let bits = 0;
      for (let i = 0; i < PER_MINIBLOCK; i++) {
        const k = from + i;
        const adjusted = k < to ? (deltas[k] as bigint) - min : 0n;
        buffer |= adjusted << BigInt(bits);
        bits += width;
        while (bits >= 8) {
          out.u8(Number(buffer & 0xffn));
          buffer >>= 8n;
          bits -= 8;
        }
      }
    }
    index = blockEnd;
  }
}

/** ZigZag varint of a signed 64-bit BigInt. */
function zigzagBigInt(out: ByteBuffer, value: bigint): void {
  let v = (value << 1n) ^ (value >> 63n);
  while (v >= 0x80n) {
    out.u8(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.u8(Number(v));
}
