import { Readable } from 'node:stream';
import type pg from 'pg';

const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'

type Socket = NodeJS.ReadableStream & {
  listeners(event: 'data'): ((chunk: Buffer) => void)[];
  removeListener(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
};
type Connection = { stream: Socket; query(text: string): void };

/**
 * `COPY … TO STDOUT` read straight off the connection's socket, for the verifier (verify-fast.ts):
 * the bytes of the copy's messages are passed on as they arrive, protocol framing and all, in the
 * socket's own chunks. pg-copy-streams cuts every message's payload out and joins them again,
 * several allocations per row, which at a million rows was a large part of the main thread's
 * work. Here only message headers are read, to find where the copy ends: at CopyDone, or at an
 * ErrorResponse, which is handed back to pg (as pg-copy-streams does) so the query fails the
 * usual way and the connection stays usable.
 *
 * What comes out is a run of whole protocol messages (code, int32 length, body): CopyOutResponse
 * first, then CopyData, possibly with notices between; the reader takes the CopyData ones.
 */
export class CopyOutMessages extends Readable implements pg.Submittable {
  private connection: Connection | null = null;
  private pgHandler: ((chunk: Buffer) => void) | null = null;
  /** Bytes of the current message's body still to come. */
  private skip = 0;
  /** The start of a message header split across socket chunks. */
  private carry: Buffer | null = null;

  constructor(private readonly text: string) {
    super();
  }

  submit(connection: unknown): void {
    const con = connection as Connection;
    this.connection = con;
    const listeners = con.stream.listeners('data');
    if (listeners.length !== 1) throw new Error('unexpected pg connection: not one data listener');
    this.pgHandler = listeners[0]!;
    con.stream.removeListener('data', this.pgHandler);
    con.stream.on('data', this.onData);
    con.query(this.text);
  }

  override _read(): void {
    this.connection?.stream.resume();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.connection?.stream.resume();
    callback(err);
  }

  private readonly onData = (data: Buffer): void => {
    let chunk = data;
    if (this.carry) {
      chunk = Buffer.concat([this.carry, data]);
      this.carry = null;
    }
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        i += n;
        this.skip -= n;
        continue;
      }
      if (chunk.length - i < 5) {
        this.carry = Buffer.from(chunk.subarray(i));
        break;
      }
      const code = chunk[i]!;
      if (code === COPY_DONE || code === ERROR_RESPONSE) {
        if (i > 0 && !this.destroyed) this.push(chunk.subarray(0, i));
        // pg reads what follows the copy (CommandComplete, ReadyForQuery), or the error itself.
        this.detach(
          code === COPY_DONE ? chunk.subarray(i + 1 + chunk.readUInt32BE(i + 1)) : chunk.subarray(i),
        );
        if (code === COPY_DONE && !this.destroyed) this.push(null);
        return;
      }
      this.skip = chunk.readUInt32BE(i + 1) - 4;
      i += 5;
    }
    const end = this.carry ? chunk.length - this.carry.length : chunk.length;
    // Once the reader has gone (destroyed), the rest is read and dropped: the copy must run to
    // its end before the connection takes another query.
    if (end > 0 && !this.destroyed && !this.push(chunk.subarray(0, end))) this.connection!.stream.pause();
  };

  private detach(rest: Buffer): void {
    const stream = this.connection!.stream;
    stream.removeListener('data', this.onData);
    stream.on('data', this.pgHandler!);
    if (rest.length > 0) this.pgHandler!(rest);
    // The reader may have paused the socket; pg needs it flowing again.
    process.nextTick(() => stream.resume());
  }

  handleError(err: Error): void {
    this.destroy(err);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {}
}
