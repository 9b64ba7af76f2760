/**
 * A one-line progress bar on standard error, drawn only when stderr is a terminal (never in pipes,
 * CI logs or `--json` output). Redrawn at most ten times a second.
 */
export class ProgressBar {
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    stream: NodeJS.WriteStream = process.stderr,
    private readonly out: NodeJS.WriteStream = stream,
  ) {
    this.enabled = stream.isTTY === true;
  }

  update(lines: number, bytes: number, totalBytes: number | null): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 28;
    const share = totalBytes !== null && totalBytes > 0 ? Math.min(1, bytes / totalBytes) : null;
    const bar =
      share === null
        ? ""
        : `[${"#".repeat(Math.round(share * width)).padEnd(width, ".")}] ${(share * 100).toFixed(0).padStart(3)}% `;
    this.out.write(`\r${this.label} ${bar}${lines.toLocaleString("en")} lines`);
  }

  done(): void {
    if (this.enabled) this.out.write("\r\u001b[2K");
  }
}
