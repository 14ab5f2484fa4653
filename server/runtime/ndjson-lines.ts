// Newline-delimited JSON arriving in chunks: a chunk may end anywhere, in the middle of a line or of a
// UTF-8 character. Docker's event stream is such a stream, and each event of a Cog container carries
// its image's labels (~12 KB of OpenAPI schema), so one event routinely spans several chunks.

export class LineBuffer {
  private decoder = new TextDecoder("utf-8");
  private rest = "";

  /** Takes a chunk; returns the complete, non-blank lines it finished (without their newline). */
  push(chunk: Uint8Array | string): string[] {
    this.rest += typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    const lines: string[] = [];
    let nl: number;
    while ((nl = this.rest.indexOf("\n")) >= 0) {
      const line = this.rest.slice(0, nl).trim();
      this.rest = this.rest.slice(nl + 1);
      if (line) lines.push(line);
    }
    return lines;
  }

  /** What is left when the stream ends (a last line without a newline), if anything. */
  end(): string[] {
    const last = (this.rest + this.decoder.decode()).trim();
    this.rest = "";
    return last ? [last] : [];
  }
}
