/** Values shorter than this are not masked: `***` in place of every "on" or "1" would garble output. */
export const MIN_MASK_LENGTH = 4;
export const MASK = '***';

/**
 * The byte strings to hide for these values: each value of at least MIN_MASK_LENGTH characters,
 * plus its `\r\n` form when it spans lines (a terminal's line discipline turns `\n` into `\r\n`).
 */
export function maskPatterns(values: Iterable<string>): Buffer[] {
  const seen = new Set<string>();
  for (const value of values) {
    if (value.length < MIN_MASK_LENGTH) continue;
    seen.add(value);
    if (value.includes('\n')) seen.add(value.replace(/\r?\n/g, '\r\n'));
  }
  return [...seen].map((v) => Buffer.from(v, 'utf8'));
}

/**
 * Replaces every occurrence of the patterns in a byte stream with `***`, whatever the chunking.
 * At each position the longest pattern that matches wins, and a position is decided only once the
 * bytes seen rule out a longer match, so bytes that may begin a pattern are held back until the
 * next chunk (or `end`). Everything else passes at once: a prompt with no newline is not delayed
 * unless its last bytes could begin a secret. The same bytes give the same output for any split.
 */
export class StreamMasker {
  private readonly patterns: Buffer[];
  private readonly firstBytes = new Set<number>();
  private held: Buffer = Buffer.alloc(0);

  constructor(
    patterns: Buffer[],
    private readonly emit: (chunk: Buffer) => void,
  ) {
    // Longest first, so the first full match found at a position is the longest one.
    this.patterns = patterns.filter((p) => p.length > 0).sort((a, b) => b.length - a.length);
    for (const p of this.patterns) this.firstBytes.add(p[0] as number);
  }

  write(chunk: Buffer): void {
    this.process(this.held.length ? Buffer.concat([this.held, chunk]) : chunk, false);
  }

  /** No more input: what was held back is decided with what there is. */
  end(): void {
    if (this.held.length) this.process(this.held, true);
  }

  private process(data: Buffer, final: boolean): void {
    const out: Buffer[] = [];
    let start = 0; // first byte not yet emitted
    let i = 0;
    this.held = Buffer.alloc(0);
    while (i < data.length) {
      if (!this.firstBytes.has(data[i] as number)) {
        i++;
        continue;
      }
      const verdict = this.matchAt(data, i, final);
      if (verdict === 'wait') {
        this.held = Buffer.from(data.subarray(i));
        break;
      }
      if (verdict === 0) {
        i++;
        continue;
      }
      if (i > start) out.push(data.subarray(start, i));
      out.push(Buffer.from(MASK));
      i += verdict;
      start = i;
    }
    const end = data.length - this.held.length;
    if (end > start) out.push(data.subarray(start, end));
    if (out.length) this.emit(Buffer.concat(out));
  }

  /** The length of the longest pattern at `i`, 0 for none, or 'wait' while more bytes may decide. */
  private matchAt(data: Buffer, i: number, final: boolean): number | 'wait' {
    const available = data.length - i;
    for (const p of this.patterns) {
      if (p.length <= available) {
        if (data.compare(p, 0, p.length, i, i + p.length) === 0) return p.length;
      } else if (!final && data.compare(p, 0, available, i, data.length) === 0) {
        // A longer pattern (all patterns before this one are at least as long) may still match.
        return 'wait';
      }
    }
    return 0;
  }
}
