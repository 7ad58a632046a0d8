// A keyboard-wedge barcode scanner types its digits much faster than a person and ends
// with Enter. This tells such a burst from typing, wherever the focus is.

export interface ScannerOptions {
  /** Longest gap between two keystrokes of one scan, in ms. */
  maxGap: number;
  /** Fewest characters a scan has. */
  minLength: number;
}

// Scanners send keys a few ms apart; a busy page can stall one by tens of ms. People
// rarely type two keys within 60 ms, so that is the line.
export const DEFAULT_SCANNER: ScannerOptions = { maxGap: 60, minLength: 6 };

export class ScanDetector {
  private buffer = "";
  private last = -Infinity;
  private opts: ScannerOptions;

  constructor(opts: ScannerOptions = DEFAULT_SCANNER) {
    this.opts = opts;
  }

  /** Feeds one key; returns the scanned code when this Enter ends a scan. */
  key(key: string, at: number): string | null {
    const gap = at - this.last;
    this.last = at;
    if (key === "Enter") {
      const code = this.buffer;
      this.buffer = "";
      return gap <= this.opts.maxGap && code.length >= this.opts.minLength ? code : null;
    }
    if (key.length !== 1) {
      this.buffer = "";
      return null;
    }
    if (gap > this.opts.maxGap) this.buffer = "";
    this.buffer += key;
    return null;
  }

  /** True while keys arrive at scanner speed (the window then holds them back from inputs). */
  inBurst(at: number): boolean {
    return this.buffer.length >= 2 && at - this.last <= this.opts.maxGap;
  }
}
