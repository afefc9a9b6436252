import { hash as oneShotHash } from 'node:crypto';

/**
 * The verifier's fast path (verify.ts): the canonical encoding of `data` built straight from the
 * bytes of its JSON text, and whole rows of a binary COPY checked against their stored hashes,
 * with no JSON.parse, no JS objects and no UTF-8 decoding per row. It must give exactly the bytes
 * canonicalJson(JSON.parse(text)) gives (chain-encoding.ts, what the append hashes); a property
 * test holds the two together over jsonb-like values. Imports nothing of the app, since it also
 * runs in the verifier's worker threads.
 *
 * Why copying is enough: PostgreSQL writes jsonb strings with exactly JSON.stringify's escapes
 * (\" \\ \b \f \n \r \t, other control characters as lowercase \u00xx, everything else as UTF-8),
 * so a string's bytes are already canonical; only key order, the spaces and some numbers differ.
 */

let src: Buffer = Buffer.alloc(0);
/** Where the JSON text being read ends in src. */
let limit = 0;
let out: Buffer = Buffer.allocUnsafe(1 << 16);
let o = 0;
/** Scratch for reordering an object's members. */
let tmp: Buffer = Buffer.allocUnsafe(1 << 12);

function ensure(n: number): void {
  if (o + n <= out.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, o + n));
  out.copy(bigger, 0, 0, o);
  out = bigger;
}

// Byte loops, not Buffer#copy: the pieces are short, and each copy() call makes a view. The
// loops run on locals: the module's `out`, `src` and `o` are read once and `o` written once, not
// per byte (context slots cost several times a local in V8's hot loops).
function put(s: number, e: number): void {
  ensure(e - s);
  const b = out;
  const x = src;
  let p = o;
  for (let i = s; i < e; i++) b[p++] = x[i]!;
  o = p;
}

function byte(b: number): void {
  ensure(1);
  out[o++] = b;
}

function ws(i: number): number {
  const x = src;
  const end = limit;
  while (i < end) {
    const b = x[i];
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
    i++;
  }
  return i;
}

/** The end of the string starting at i (its opening quote), past the closing quote. */
function stringEnd(i: number): number {
  const x = src;
  const end = limit;
  i++;
  while (i < end) {
    const b = x[i];
    if (b === 0x22) return i + 1;
    i += b === 0x5c ? 2 : 1;
  }
  throw new SyntaxError('unterminated string');
}

/** A key as the JS string JSON.parse would make of it (the sort compares those). */
function keyString(s: number, e: number): string {
  for (let i = s + 1; i < e - 1; i++) {
    const b = src[i]!;
    if (b === 0x5c) return JSON.parse(src.toString('utf8', s, e));
    if (b >= 0x80) return src.toString('utf8', s + 1, e - 1);
  }
  return src.toString('latin1', s + 1, e - 1);
}

function number(i: number): number {
  const s = i;
  let plain = true;
  let b = src[i];
  if (b === 0x2d) b = src[++i];
  const digits = i;
  while (
    b !== undefined &&
    ((b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x65 || b === 0x45 || b === 0x2b || b === 0x2d)
  ) {
    if (b < 0x30) plain = false;
    else if (b > 0x39) plain = false;
    b = src[++i];
  }
  const n = i - digits;
  if (n === 0) throw new SyntaxError('bad number');
  // A short integer without a leading zero is already what JSON.stringify(JSON.parse(x)) writes
  // ("-0" is not: it becomes "0"); anything else goes the way the reference goes.
  if (
    plain &&
    n <= 15 &&
    (src[digits] !== 0x30 || n === 1) &&
    !(n === 1 && src[digits] === 0x30 && digits > s)
  ) {
    put(s, i);
  } else {
    const text = JSON.stringify(Number(src.toString('latin1', s, i)));
    ensure(text.length);
    o += out.write(text, o, 'latin1');
  }
  return i;
}

function value(i: number): number {
  if (i >= limit) throw new SyntaxError('expected a value');
  const b = src[i];
  if (b === 0x22) {
    const e = stringEnd(i);
    put(i, e);
    return e;
  }
  if (b === 0x7b) return object(i);
  if (b === 0x5b) return array(i);
  if (b === 0x74 || b === 0x6e || b === 0x66) {
    const e = i + (b === 0x66 ? 5 : 4);
    if (e > limit) throw new SyntaxError('bad literal');
    put(i, e);
    return e;
  }
  return number(i);
}

function array(i: number): number {
  byte(0x5b);
  i = ws(i + 1);
  if (src[i] === 0x5d) {
    byte(0x5d);
    return i + 1;
  }
  for (;;) {
    i = ws(value(i));
    const b = src[i];
    if (b === 0x5d) {
      byte(0x5d);
      return i + 1;
    }
    if (b !== 0x2c) throw new SyntaxError('expected , or ]');
    byte(0x2c);
    i = ws(i + 1);
  }
}

/**
 * How two keys (quoted, at [a0, a1) and [b0, b1) in src) compare as the JS strings JSON.parse
 * makes of them, by UTF-16 code units as Array#sort does. UTF-8 bytes sort the same way while
 * neither has an escape or a character from U+E000 up (lead byte 0xEE or more), which is every
 * key in practice; the rest are decoded.
 */
function compareKeys(a0: number, a1: number, b0: number, b1: number): number {
  let i = a0 + 1;
  let j = b0 + 1;
  const ae = a1 - 1;
  const be = b1 - 1;
  while (i < ae && j < be) {
    const x = src[i]!;
    const y = src[j]!;
    if (x === 0x5c || y === 0x5c || x >= 0xee || y >= 0xee) {
      const ka = keyString(a0, a1);
      const kb = keyString(b0, b1);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    }
    if (x !== y) return x < y ? -1 : 1;
    i++;
    j++;
  }
  if (i === ae) return j === be ? 0 : -1;
  return 1;
}

// Per member of the objects being read (nested ones above their parent's): its key's place in
// src and its key:value as written in out. Four ints each, reused for every row.
let members = new Int32Array(256);
let top = 0;

function object(i: number): number {
  byte(0x7b);
  i = ws(i + 1);
  if (src[i] === 0x7d) {
    byte(0x7d);
    return i + 1;
  }
  const regionStart = o;
  const base = top;
  let sorted = true;
  for (;;) {
    if (src[i] !== 0x22) throw new SyntaxError('expected a key');
    const ke = stringEnd(i);
    if (top > base) {
      const c = compareKeys(members[top - 4]!, members[top - 3]!, i, ke);
      if (c === 0) throw new SyntaxError('duplicate key');
      if (c > 0) sorted = false;
    }
    if (top + 4 > members.length) {
      const bigger = new Int32Array(members.length * 2);
      bigger.set(members);
      members = bigger;
    }
    const m = top;
    top += 4;
    members[m] = i;
    members[m + 1] = ke;
    members[m + 2] = o;
    put(i, ke);
    i = ws(ke);
    if (src[i] !== 0x3a) throw new SyntaxError('expected :');
    byte(0x3a);
    i = ws(value(ws(i + 1)));
    members[m + 3] = o;
    const b = src[i];
    if (b === 0x7d) break;
    if (b !== 0x2c) throw new SyntaxError('expected , or }');
    byte(0x2c);
    i = ws(i + 1);
  }
  if (!sorted) {
    // Nested objects are done by now, so one scratch buffer serves every level.
    const n = o - regionStart;
    if (tmp.length < n) tmp = Buffer.allocUnsafe(Math.max(2 * tmp.length, n));
    const b = out;
    const t = tmp;
    for (let k = 0; k < n; k++) t[k] = b[regionStart + k]!;
    // Insertion sort of the member records: objects are small.
    for (let m = base + 4; m < top; m += 4) {
      const r0 = members[m]!;
      const r1 = members[m + 1]!;
      const r2 = members[m + 2]!;
      const r3 = members[m + 3]!;
      let k = m;
      while (k > base) {
        const c = compareKeys(members[k - 4]!, members[k - 3]!, r0, r1);
        if (c === 0) throw new SyntaxError('duplicate key');
        if (c < 0) break;
        members[k] = members[k - 4]!;
        members[k + 1] = members[k - 3]!;
        members[k + 2] = members[k - 2]!;
        members[k + 3] = members[k - 1]!;
        k -= 4;
      }
      members[k] = r0;
      members[k + 1] = r1;
      members[k + 2] = r2;
      members[k + 3] = r3;
    }
    let q = regionStart;
    for (let m = base; m < top; m += 4) {
      if (m > base) b[q++] = 0x2c;
      const end = members[m + 3]! - regionStart;
      for (let j = members[m + 2]! - regionStart; j < end; j++) b[q++] = t[j]!;
    }
    o = q;
  }
  top = base;
  byte(0x7d);
  return i + 1;
}

/**
 * The canonical encoding of the JSON text input[start, end), as canonicalJson(JSON.parse(text))
 * would write it. Throws on text that is not JSON (or has a duplicate key, which JSON.parse
 * would settle by keeping the last): the verifier then takes the reference path.
 */
export function canonicalJsonBytes(input: Buffer, start = 0, end = input.length): Buffer {
  o = 0;
  writeCanonical(input, start, end);
  return Buffer.from(out.subarray(0, o));
}

function writeCanonical(input: Buffer, start: number, end: number): void {
  src = input;
  // Bounded to [start, end), so nothing past it reads as part of the JSON.
  limit = end;
  top = 0;
  const i = ws(value(ws(start)));
  if (i !== end) throw new SyntaxError('trailing bytes');
}

export type ChunkSummary = {
  rows: number;
  firstSeq: number;
  lastSeq: number;
  /** The first row's prev_hash and the last row's hash, for linking chunks together. */
  firstPrev: Uint8Array;
  lastHash: Uint8Array;
  /** Every row matched its hash, linked to the one before and followed it in seq. */
  ok: boolean;
};

/**
 * The columns the verifier's COPY reads, in this order: the encoding's own order, so a row is
 * written front to back.
 */
export const FAST_SELECT = `seq, action, actor_id, ip, actor_label, request_id, actor_type, data::text, org_id,
  prev_hash, target_id, target_type, created_at, hash`;
export const FAST_COLUMNS = 14;

const lit = (s: string) => Buffer.from(s, 'latin1');
const L_ACTION = lit('{"action":');
const L_ACTOR_ID = lit(',"actor":{"id":');
const L_IP = lit(',"ip":');
const L_LABEL = lit(',"label":');
const L_REQUEST = lit(',"requestId":');
const L_TYPE = lit(',"type":');
const L_DATA = lit('},"data":');
const L_ORG = lit(',"org":');
const L_PREV = lit(',"prev":"');
const L_TARGET = lit('","target":');
const L_TARGET_ID = lit('{"id":');
const L_TIME = lit('},"time":"');
const L_TIME_NULL = lit('null,"time":"');
const L_END = lit('","v":1}');
const L_NULL = lit('null');
const HEX = lit('0123456789abcdef');
/** Microseconds from 1970 to PostgreSQL's epoch, 2000-01-01 (binary timestamptz counts from it). */
const PG_EPOCH_MS = 946_684_800_000;
const SHORT_ESCAPES: Record<number, number> = { 8: 0x62, 12: 0x66, 10: 0x6e, 13: 0x72, 9: 0x74 };

/** Writes a literal at q in b (which has room); answers where it ends. */
function literal(b: Buffer, q: number, l: Buffer): number {
  for (let i = 0; i < l.length; i++) b[q++] = l[i]!;
  return q;
}

/**
 * A text column's bytes x[s, e) as a JSON string at q in b, the way JSON.stringify (and to_json)
 * writes it: " and \ and control characters escaped, everything else (valid UTF-8) as it is; a
 * NULL (e < 0) as null. One pass; b has room for the worst case (6 bytes per byte).
 */
function jsonString(b: Buffer, q: number, x: Buffer, s: number, e: number): number {
  if (e < 0) return literal(b, q, L_NULL);
  b[q++] = 0x22;
  for (let i = s; i < e; i++) {
    const c = x[i]!;
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) b[q++] = c;
    else {
      b[q++] = 0x5c;
      if (c === 0x22 || c === 0x5c) b[q++] = c;
      else {
        const short = SHORT_ESCAPES[c];
        if (short !== undefined) b[q++] = short;
        else {
          b[q++] = 0x75;
          b[q++] = 0x30;
          b[q++] = 0x30;
          b[q++] = HEX[c >> 4]!;
          b[q++] = HEX[c & 15]!;
        }
      }
    }
  }
  b[q++] = 0x22;
  return q;
}

/** x[s, e) in lowercase hex; nothing for a NULL (coalesce(encode(prev_hash, 'hex'), '')). */
function hex(b: Buffer, q: number, x: Buffer, s: number, e: number): number {
  for (let i = s; i < e; i++) {
    const c = x[i]!;
    b[q++] = HEX[c >> 4]!;
    b[q++] = HEX[c & 15]!;
  }
  return q;
}

/** A big-endian int64 as a number, without a BigInt per row. */
function int64(b: Buffer, at: number): number {
  return b.readInt32BE(at) * 2 ** 32 + b.readUInt32BE(at + 4);
}

let lastSecond = Number.NaN;
/** "YYYY-MM-DDTHH:MM:SS." of lastSecond. */
const secondText = Buffer.alloc(20);

/** created_at as to_char(… 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') writes it (milliseconds cut, not rounded). */
function time(b: Buffer, q: number, x: Buffer, at: number): number {
  // Exact as a double: microseconds since 2000 stay far below 2^53 for any real time.
  const micros = int64(x, at);
  const ms = Math.floor(micros / 1000) + PG_EPOCH_MS;
  // Rows of one chain come in time order, many within the same second: its text is reused.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    secondText.write(new Date(second * 1000).toISOString().slice(0, 20), 0, 'latin1');
  }
  q = literal(b, q, secondText);
  const m = ms - second * 1000;
  b[q++] = 0x30 + Math.floor(m / 100);
  b[q++] = 0x30 + (Math.floor(m / 10) % 10);
  b[q++] = 0x30 + (m % 10);
  b[q++] = 0x5a;
  return q;
}

/** x[a, a + 32) equals y[b, b + 32). A loop: a native compare() per row costs more. */
function same32(x: Uint8Array, a: number, y: Uint8Array, b: number): boolean {
  for (let k = 0; k < 32; k++) if (x[a + k] !== y[b + k]) return false;
  return true;
}

/**
 * Checks a run of binary COPY tuples of FAST_SELECT's columns, each in its CopyData message as
 * the server sent it (copy-out.ts; the COPY header and trailer cut off): each row's
 * SHA-256 over its canonical encoding (chain-encoding.ts encodeChained, written here from the
 * column bytes) must equal its hash, its prev_hash the hash of the row before it in the run, its
 * seq one more; `checkpoint` also names a seq whose hash must match. Stops at the first row that
 * does not fit (ok false), and the reference walk then names it. A mismatch here can only send a
 * chain to the reference walk, never pass a bad one: ok needs every row to hash to its stored
 * hash.
 */
export function checkChunk(buf: Buffer, checkpoint: { seq: number; hash: Uint8Array } | null): ChunkSummary {
  try {
    return checkRows(buf, checkpoint);
  } catch {
    // Bytes that are not the tuples expected (framing, field count or lengths): not proven here,
    // so the reference walk reads the chain the slow way and decides.
    return {
      rows: 0,
      firstSeq: 0,
      lastSeq: 0,
      firstPrev: new Uint8Array(0),
      lastHash: new Uint8Array(0),
      ok: false,
    };
  }
}

function checkRows(buf: Buffer, checkpoint: { seq: number; hash: Uint8Array } | null): ChunkSummary {
  const summary: ChunkSummary = {
    rows: 0,
    firstSeq: 0,
    lastSeq: 0,
    firstPrev: new Uint8Array(0),
    lastHash: new Uint8Array(0),
    ok: true,
  };
  const fail = () => {
    summary.ok = false;
    return summary;
  };
  const f = new Int32Array(2 * FAST_COLUMNS);
  let p = 0;
  let lastHashAt = -1;
  const cpHash = checkpoint ? Buffer.from(checkpoint.hash) : null;
  while (p < buf.length) {
    // A CopyData message ('d', its length), holding one tuple: its field count, then each
    // field's length and bytes.
    if (buf[p] !== 0x64) throw new Error('unexpected COPY message');
    const rowStart = p;
    const messageEnd = p + 1 + buf.readUInt32BE(p + 1);
    p += 5;
    if (buf.readInt16BE(p) !== FAST_COLUMNS) throw new Error('unexpected COPY tuple');
    p += 2;
    for (let k = 0; k < FAST_COLUMNS; k++) {
      const len = buf.readInt32BE(p);
      p += 4;
      f[2 * k] = p;
      f[2 * k + 1] = len < 0 ? -1 : p + len;
      if (len > 0) p += len;
    }
    if (p !== messageEnd) throw new Error('unexpected COPY message');
    // Columns: 0 seq, 1 action, 2 actor_id, 3 ip, 4 actor_label, 5 request_id, 6 actor_type,
    // 7 data, 8 org_id, 9 prev_hash, 10 target_id, 11 target_type, 12 created_at, 13 hash.
    if (
      f[1]! < 0 ||
      f[3]! < 0 ||
      f[13]! < 0 ||
      f[15]! < 0 ||
      f[25]! < 0 ||
      f[27]! - f[26]! !== 32 ||
      (f[19]! >= 0 && f[19]! - f[18]! !== 32)
    )
      return fail();
    const seq = int64(buf, f[0]!);
    if (summary.rows === 0) {
      summary.firstSeq = seq;
      summary.firstPrev =
        f[19]! < 0 ? new Uint8Array(0) : Uint8Array.prototype.slice.call(buf, f[18]!, f[19]!);
    } else if (seq !== summary.lastSeq + 1 || f[19]! < 0 || !same32(buf, lastHashAt, buf, f[18]!)) {
      return fail();
    }
    summary.rows++;
    summary.lastSeq = seq;

    // Room for the whole encoding up front (escapes write at most 6 bytes per byte, hex 2), so
    // the envelope is written without a check per piece; `data` checks its own (numbers may grow).
    ensureRoom(6 * (p - rowStart) + 256);
    let b = out;
    let q = literal(b, 0, L_ACTION);
    q = jsonString(b, q, buf, f[2]!, f[3]!);
    q = literal(b, q, L_ACTOR_ID);
    q = jsonString(b, q, buf, f[4]!, f[5]!);
    q = literal(b, q, L_IP);
    q = jsonString(b, q, buf, f[6]!, f[7]!);
    q = literal(b, q, L_LABEL);
    q = jsonString(b, q, buf, f[8]!, f[9]!);
    q = literal(b, q, L_REQUEST);
    q = jsonString(b, q, buf, f[10]!, f[11]!);
    q = literal(b, q, L_TYPE);
    q = jsonString(b, q, buf, f[12]!, f[13]!);
    q = literal(b, q, L_DATA);
    o = q;
    try {
      writeCanonical(buf, f[14]!, f[15]!);
    } catch {
      return fail();
    }
    q = o;
    // What is left is bounded by the row's own bytes again; out may have grown for the data.
    ensureRoom(q + 6 * (p - rowStart) + 256);
    b = out;
    q = literal(b, q, L_ORG);
    q = jsonString(b, q, buf, f[16]!, f[17]!);
    q = literal(b, q, L_PREV);
    q = hex(b, q, buf, f[18]!, f[19]!);
    q = literal(b, q, L_TARGET);
    if (f[21]! < 0 && f[23]! < 0) q = literal(b, q, L_TIME_NULL);
    else {
      q = literal(b, q, L_TARGET_ID);
      q = jsonString(b, q, buf, f[20]!, f[21]!);
      q = literal(b, q, L_TYPE);
      q = jsonString(b, q, buf, f[22]!, f[23]!);
      q = literal(b, q, L_TIME);
    }
    q = time(b, q, buf, f[24]!);
    q = literal(b, q, L_END);
    const digest = oneShotHash('sha256', b.subarray(0, q), 'buffer') as unknown as Buffer;
    if (!same32(digest, 0, buf, f[26]!) || (cpHash && seq === checkpoint!.seq && !cpHash.equals(digest))) {
      return fail();
    }
    lastHashAt = f[26]!;
  }
  if (summary.rows > 0) summary.lastHash = Uint8Array.prototype.slice.call(buf, lastHashAt, lastHashAt + 32);
  return summary;
}

/** out holds at least n bytes, keeping what it holds. */
function ensureRoom(n: number): void {
  if (out.length >= n) return;
  const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, n));
  out.copy(bigger);
  out = bigger;
}
