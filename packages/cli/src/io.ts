/** Where a command writes: lines to standard output, and the clock (the core has none; only the CLI reads time). */
export interface Io {
  out(line: string): void;
  /** A line to standard error: a warning, or a refusal that is not the command's output. */
  err(line: string): void;
  now(): number;
}

/** The terminal a campaign reports to. */
export interface Terminal extends Io {
  /** Rewrite the one status line; null when the output is not a terminal (progress is then printed as lines, now and then). */
  live: ((line: string) => void) | null;
  /** Ctrl-C: the campaign stops at the next batch boundary. */
  onInterrupt(stop: () => void): () => void;
}
