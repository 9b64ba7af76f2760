/**
 * A growing byte buffer, written from the front and reused: the writer keeps one per purpose per thread (page
 * values, definition levels, compressed pages, the file) and resets it instead of allocating a fresh one for every
 * page or file.
 */
export class ByteBuffer {
  bytes: Uint8Array;
  /** Bytes written so far (the next write goes here). */
  pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  reset(): void {
    this.pos = 0;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
  }

  u8(value: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = value;
  }

  /** Little-endian 32 bits (of a signed or unsigned 32-bit value). */
  u32(value: number): void {
    this.ensure(4);
    const b = this.bytes;
    const p = this.pos;
    b[p] = value;
    b[p + 1] = value >>> 8;
    b[p + 2] = value >>> 16;
    b[p + 3] = value >>> 24;
    this.pos = p + 4;
  }

  /**
   * Fills the 4 bytes at `at` (room left before writing what follows them) with the length of what was written since,
   * little-endian: a length prefix whose value is known only once its bytes are written.
   */
  lengthSince(at: number): void {
    const length = this.pos - at - 4;
    const b = this.bytes;
    b[at] = length;
    b[at + 1] = length >>> 8;
    b[at + 2] = length >>> 16;
    b[at + 3] = length >>> 24;
  }

  /** Unsigned LEB128 varint of a non-negative safe integer. */
  varint(value: number): void {
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.pos++] = (v % 0x80) + 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.pos++] = v;
  }

  /** ZigZag varint of a safe integer (exact beyond 32 bits, unlike `<<`). */
  zigzag(value: number): void {
    this.varint(value < 0 ? -value * 2 - 1 : value * 2);
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** The bytes written so far (a view: valid until the next write or reset). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }
}
