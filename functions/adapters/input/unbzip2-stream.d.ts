/** unbzip2-stream (MIT) ships no types: a classic `through` stream that takes bzip2 bytes and emits the plain ones. */
declare module "unbzip2-stream" {
  import type { Stream } from "node:stream";

  interface Unbzip2Stream extends Stream, NodeJS.ReadableStream {
    write(chunk: Uint8Array): boolean;
    end(): void;
  }
  export default function unbzip2Stream(): Unbzip2Stream;
}
