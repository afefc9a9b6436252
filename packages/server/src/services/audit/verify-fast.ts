import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type pg from 'pg';
import { chainKey } from './chain-append.js';
import { GENESIS_HASH } from './chain-encoding.js';
import { type ChunkSummary, checkChunk, FAST_SELECT } from './chain-fast.js';
import { CopyOutMessages } from './copy-out.js';

/** Rows per chunk handed to a hashing thread (a few MB). */
const CHUNK_ROWS = 8192;
/** A chunk buffer's size: a chunk of typical rows and a socket read or two fit without growing. */
const CHUNK_BYTES = 4 << 20;
/** Below this many rows the threads cost more to start than they save. */
const THREADS_FROM_ROWS = 100_000;
/**
 * How long idle hashing threads are kept for the next verification. Starting one costs tens of
 * ms built and several hundred from source (tsx compiles in every thread), which at 300k rows
 * was a third of the CPU; verifications come in runs (a scheduled sweep, an operator's retries).
 */
const THREADS_IDLE_MS = 60_000;
/** The binary COPY header: signature, flags, header-extension length. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const COPY_DATA = 0x64; // 'd'

export type FastOutcome = { ok: true; rows: number } | { ok: false };

type Checkpoint = { seq: number; headHash: string };

/**
 * The whole chain is sound, proven quickly: one REPEATABLE READ snapshot, the rows read with
 * binary COPY, and the hashing spread over worker threads in chunks. A row's hash depends only
 * on its own content and its stored prev_hash, so chunks are checked independently and then
 * joined at their boundaries (each chunk's first prev_hash is the last hash of the chunk before).
 * Answers ok only when every check the reference walk makes passes; anything else (a bad row, a
 * stray row, a head that does not match) answers not ok, and verifyChain then walks the chain
 * the reference way to name the first bad row.
 */
export async function verifyFast(
  pool: pg.Pool,
  orgId: string | null,
  head: { seq: number; hash: string },
  opts: { checkpoint?: Checkpoint; threads?: number } = {},
): Promise<FastOutcome> {
  const client = await pool.connect();
  let threads: HashThreads | null = null;
  // Every path out ends the snapshot: the client goes back to the pool.
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const orgSql = orgId === null ? 'org_id IS NULL' : `org_id = ${client.escapeLiteral(orgId)}`;
    const seen = await client.query<{ seq: string | null; hash: string | null }>(
      `SELECT seq, encode(hash, 'hex') AS hash FROM audit_chain_heads WHERE chain = $1`,
      [chainKey(orgId)],
    );
    // The head read earlier must be the one in this snapshot, or a row was appended in between.
    const snapshotHead = seen.rows[0] ? { seq: Number(seen.rows[0].seq), hash: seen.rows[0].hash } : null;
    if (snapshotHead ? snapshotHead.seq !== head.seq || snapshotHead.hash !== head.hash : head.seq !== 0) {
      return { ok: false };
    }
    const stray = await client.query(`SELECT 1 FROM audit_events WHERE ${orgSql} AND seq IS NULL LIMIT 1`);
    if (stray.rowCount) return { ok: false };

    const count = opts.threads ?? (head.seq >= THREADS_FROM_ROWS ? Math.min(availableParallelism(), 4) : 0);
    threads = count > 0 ? HashThreads.acquire(count) : null;
    const cp = opts.checkpoint
      ? { seq: opts.checkpoint.seq, hash: Buffer.from(opts.checkpoint.headHash, 'hex') }
      : null;
    // Chunk buffers come back from the check to be filled again: no allocation (and no GC of
    // external memory) per chunk once a few are in circulation.
    const spare: ArrayBuffer[] = threads ? threads.spare : [];
    const summaries = await readChunks(
      client.query(
        new CopyOutMessages(
          `COPY (SELECT ${FAST_SELECT} FROM audit_events
            WHERE ${orgSql} AND seq IS NOT NULL ORDER BY seq) TO STDOUT (FORMAT binary)`,
        ),
      ),
      (chunk) => {
        if (threads) return threads.check(chunk, cp);
        const s = checkChunk(chunk, cp);
        spare.push(chunk.buffer as ArrayBuffer);
        return s;
      },
      spare,
    );

    let rows = 0;
    let prev: Uint8Array = GENESIS_HASH;
    for (const s of summaries) {
      if (!s.ok || s.firstSeq !== rows + 1 || !same(s.firstPrev, prev)) return { ok: false };
      rows = s.lastSeq;
      prev = s.lastHash;
    }
    if (opts.checkpoint && opts.checkpoint.seq > rows) return { ok: false };
    if (head.seq !== rows || head.hash !== Buffer.from(prev).toString('hex')) return { ok: false };
    return { ok: true, rows };
  } finally {
    const ended = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    // A client whose transaction could not be ended is not given to anyone else.
    client.release(!ended);
    threads?.release();
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/**
 * Cuts the COPY's protocol messages (copy-out.ts) into chunks of whole CopyData messages, one
 * tuple each, and checks each chunk as it is cut, keeping at most a few in flight (so reading
 * waits for hashing, not memory). Per message only its header is read here: the tuples are
 * taken apart by checkChunk, in the hashing threads. The first message also carries the binary
 * COPY header, which is checked and cut off here; the last holds the trailer. The bytes are
 * copied once, from the socket's buffers straight into the chunk's (the tail of a message cut
 * across a chunk's end is moved to the next). The chunk given to `check` is a view of a buffer of
 * its own (unpooled), which `check` owns and puts back on `spare` when done with it.
 */
async function readChunks(
  stream: AsyncIterable<Buffer>,
  check: (chunk: Buffer) => ChunkSummary | Promise<ChunkSummary>,
  spare: ArrayBuffer[],
): Promise<ChunkSummary[]> {
  const fresh = (min: number): Buffer => {
    const ab = spare.pop();
    return ab && ab.byteLength >= min ? Buffer.from(ab) : Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, min));
  };
  let acc = fresh(0);
  let len = 0;
  let scan = 0; // where the next message starts
  let chunkStart = 0;
  let rowsInChunk = 0;
  let header = false;
  let ended = false;
  let failed = false;
  const results: Promise<ChunkSummary>[] = [];
  const inFlight: Promise<ChunkSummary>[] = [];

  /** Hands acc[chunkStart, end) on; what follows moves to the front of a fresh buffer. */
  const cut = async (end: number) => {
    const chunk = acc.subarray(chunkStart, end);
    const next = fresh(len - end);
    acc.copy(next, 0, end, len);
    acc = next;
    len -= end;
    scan -= end;
    chunkStart = 0;
    rowsInChunk = 0;
    if (failed) {
      spare.push(chunk.buffer as ArrayBuffer);
      return;
    }
    const p = Promise.resolve(check(chunk));
    // Awaited below (Promise.all); until then a failed thread must not count as unhandled.
    p.catch(() => {});
    results.push(p);
    inFlight.push(p);
    if (inFlight.length >= 4) {
      const s = await inFlight.shift()!;
      if (!s.ok) failed = true;
    }
  };

  for await (const data of stream) {
    if (ended) continue;
    if (len + data.length > acc.length) {
      // Keep only what is not cut yet, in a buffer it fits in.
      const bigger = fresh(len - chunkStart + data.length);
      acc.copy(bigger, 0, chunkStart, len);
      acc = bigger;
      len -= chunkStart;
      scan -= chunkStart;
      chunkStart = 0;
    }
    data.copy(acc, len);
    len += data.length;
    // Step over every complete message in the buffer.
    while (scan + 5 <= len) {
      const end = scan + 1 + acc.readUInt32BE(scan + 1);
      if (end > len) break;
      if (acc[scan] !== COPY_DATA) {
        // CopyOutResponse, or a notice: not part of the rows. Cut around it (cut moves the
        // bytes after scan to the front).
        const after = end - scan;
        if (rowsInChunk > 0) await cut(scan);
        chunkStart = scan + after;
        scan = chunkStart;
        continue;
      }
      if (!header) {
        // The binary COPY header leads the first CopyData: checked, then cut off by rewriting
        // that message's header over the signature's last bytes.
        const body = scan + 5;
        if (
          end - body < SIGNATURE.length + 8 ||
          !acc.subarray(body, body + SIGNATURE.length).equals(SIGNATURE)
        )
          throw new Error('not a binary COPY stream');
        const skip = SIGNATURE.length + 8 + acc.readInt32BE(body + SIGNATURE.length + 4);
        const at = scan + skip;
        acc[at] = COPY_DATA;
        acc.writeUInt32BE(end - at - 1, at + 1);
        chunkStart = at;
        scan = at;
        header = true;
        continue;
      }
      if (end - scan === 7 && acc.readInt16BE(scan + 5) === -1) {
        ended = true;
        break;
      }
      scan = end;
      if (++rowsInChunk === CHUNK_ROWS) await cut(scan);
    }
    if (ended && rowsInChunk > 0) await cut(scan);
  }
  if (!ended) throw new Error('COPY stream ended without its trailer');
  return Promise.all(results);
}

/**
 * A few worker threads running verify-worker.ts, each handed chunks in turn. One set is kept
 * between verifications (THREADS_IDLE_MS), unref'd so it never holds the process open; concurrent
 * verifications share it, as jobs are told apart by id.
 */
class HashThreads {
  private static kept: HashThreads | null = null;
  private users = 0;
  private idle: NodeJS.Timeout | null = null;
  private broken = false;

  static acquire(count: number): HashThreads {
    let t = HashThreads.kept;
    if (!t || t.broken || t.workers.length !== count) {
      if (t && t.users === 0) void t.close();
      t = new HashThreads(count);
      HashThreads.kept = t;
    }
    if (t.idle) clearTimeout(t.idle);
    t.idle = null;
    // Held open while in use (a verification may be waiting on nothing but them).
    if (t.users++ === 0) for (const w of t.workers) w.ref();
    return t;
  }

  release(): void {
    this.users--;
    if (this.users > 0) return;
    if (this.broken || HashThreads.kept !== this) {
      void this.close();
      return;
    }
    for (const w of this.workers) w.unref();
    this.idle = setTimeout(() => {
      if (HashThreads.kept === this) HashThreads.kept = null;
      void this.close();
    }, THREADS_IDLE_MS);
    this.idle.unref();
  }

  private readonly workers: Worker[];
  private readonly waiting = new Map<
    number,
    { resolve: (s: ChunkSummary) => void; reject: (e: Error) => void }
  >();
  private next = 0;
  /** Chunk buffers the threads have given back. */
  readonly spare: ArrayBuffer[] = [];

  private constructor(count: number) {
    // From source (tests, benchmarks) the worker is TypeScript: a small bootstrap registers tsx's
    // loader in the thread first. The build has it as dist/audit-verify-worker.js beside the bundle.
    const fromSource = import.meta.url.endsWith('.ts');
    const url = fromSource
      ? new URL('./verify-worker.ts', import.meta.url)
      : new URL('./audit-verify-worker.js', import.meta.url);
    this.workers = Array.from({ length: count }, () => {
      const w = fromSource
        ? new Worker(
            `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
              .then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`,
            { eval: true },
          )
        : new Worker(url);
      w.on('message', (m: { id: number; summary: ChunkSummary; buf: ArrayBuffer }) => {
        if (this.spare.length < 8) this.spare.push(m.buf);
        this.waiting.get(m.id)?.resolve(m.summary);
        this.waiting.delete(m.id);
      });
      w.on('error', (err) => {
        // A thread that failed is not handed to the next verification.
        this.broken = true;
        for (const p of this.waiting.values()) p.reject(err);
        this.waiting.clear();
      });
      return w;
    });
  }

  check(chunk: Buffer, checkpoint: { seq: number; hash: Uint8Array } | null): Promise<ChunkSummary> {
    const id = this.next++;
    const worker = this.workers[id % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Chunk buffers are allocated unpooled (readChunks), so each owns its memory and can move;
      // the thread sends it back with the summary.
      const buf = chunk.buffer as ArrayBuffer;
      worker.postMessage(
        { id, buf, start: chunk.byteOffset, end: chunk.byteOffset + chunk.byteLength, checkpoint },
        [buf],
      );
    });
  }

  private async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
