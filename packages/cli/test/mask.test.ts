import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_MASK_LENGTH, maskPatterns, StreamMasker } from '../src/lib/mask.js';

/** Feeds `chunks` through a masker and returns what came out, as text. */
function masked(values: string[], chunks: Buffer[]): string {
  const out: Buffer[] = [];
  const m = new StreamMasker(maskPatterns(values), (b) => out.push(b));
  for (const c of chunks) m.write(c);
  m.end();
  return Buffer.concat(out).toString('utf8');
}

/** `data` cut at the given offsets (sorted, deduplicated), empty pieces kept. */
function split(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    pieces.push(data.subarray(from, p));
    from = p;
  }
  pieces.push(data.subarray(from));
  return pieces;
}

/** Byte-by-byte reference: at each position the longest value that matches, else the byte. */
function reference(values: string[], text: string): string {
  const pats = maskPatterns(values)
    .map((b) => b.toString('utf8'))
    .sort((a, b) => b.length - a.length);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const hit = pats.find((p) => text.startsWith(p, i));
    if (hit) {
      out += '***';
      i += hit.length;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

const alphabet = fc.constantFrom('a', 'b', 'c', 'x', '\n', 'é');
const word = (min: number, max: number) =>
  fc.array(alphabet, { minLength: min, maxLength: max }).map((a) => a.join(''));

describe('StreamMasker', () => {
  it('masks a value, keeps the rest, and passes text that cannot begin a value at once', () => {
    expect(masked(['s3cret-token'], [Buffer.from('key=s3cret-token done\n')])).toBe('key=*** done\n');
    const out: string[] = [];
    const m = new StreamMasker(maskPatterns(['s3cret-token']), (b) => out.push(b.toString()));
    m.write(Buffer.from('Password: '));
    expect(out).toEqual(['Password: ']);
    m.write(Buffer.from('s3cr'));
    expect(out).toEqual(['Password: ']); // may be the start of the value: held
    m.write(Buffer.from('et-token!'));
    expect(out.join('')).toBe('Password: ***!');
    m.write(Buffer.from('s3c'));
    m.end(); // no more output: a prefix alone is shown as it is
    expect(out.join('')).toBe('Password: ***!s3c');
  });

  it(`leaves values shorter than ${MIN_MASK_LENGTH} characters alone; masks the longest overlapping value`, () => {
    expect(masked(['on', 'abc', 'abcd'], [Buffer.from('on abc abcd')])).toBe('on abc ***');
    expect(masked(['abcd', 'abcdef'], [Buffer.from('abcdefg abcdx')])).toBe('***g ***x');
    expect(masked([''], [Buffer.from('text')])).toBe('text');
  });

  it('masks a multi-line value in its terminal (\\r\\n) form too', () => {
    expect(masked(['line1\nline2'], [Buffer.from('a line1\nline2 b line1\r\nline2 c')])).toBe(
      'a *** b *** c',
    );
  });

  it('masks a value whose UTF-8 bytes are split inside a character', () => {
    const data = Buffer.from('→ pässwörd ←');
    for (let cut = 0; cut <= data.length; cut++) {
      expect(masked(['pässwörd'], split(data, [cut]))).toBe('→ *** ←');
    }
  });

  it('any split of the output masks the same, as the reference does, and leaves no value visible', () => {
    fc.assert(
      fc.property(
        fc.array(word(MIN_MASK_LENGTH, 7), { minLength: 1, maxLength: 3 }),
        fc.array(fc.oneof(word(0, 5), fc.nat(2)), { maxLength: 8 }),
        fc.array(fc.nat(200), { maxLength: 10 }),
        (values, parts, cuts) => {
          // The output mixes free text with the values themselves.
          const text = parts
            .map((p) => (typeof p === 'number' ? (values[p % values.length] as string) : p))
            .join('');
          const data = Buffer.from(text);
          const whole = masked(values, [data]);
          expect(masked(values, split(data, cuts))).toBe(whole);
          expect(masked(values, split(data, [...Array(data.length).keys()]))).toBe(whole);
          expect(whole).toBe(reference(values, text));
          for (const p of maskPatterns(values)) expect(whole).not.toContain(p.toString());
        },
      ),
      { numRuns: 500 },
    );
  });
});
