import { describe, expect, it } from 'vitest';
import { CopyOutMessages } from '../../src/services/audit/copy-out.js';
import { useTestDatabase } from '../helpers/db.js';

const t = useTestDatabase();

/** The CopyData bodies in a run of protocol messages, skipping any other message. */
function copyData(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < bytes.length; ) {
    const end = p + 1 + bytes.readUInt32BE(p + 1);
    if (bytes[p] === 0x64) out.push(bytes.subarray(p + 5, end));
    p = end;
  }
  return out;
}

describe('COPY … TO STDOUT read as protocol messages (the verifier reads audit rows so)', () => {
  it('passes on every CopyData message whole, across socket chunks, and the connection carries on', async () => {
    const client = await t.database.pool.connect();
    try {
      const parts: Buffer[] = [];
      // Text format: one message per row, about 2 MB in all, so many socket chunks.
      for await (const d of client.query(
        new CopyOutMessages(`COPY (SELECT i, repeat('x', 200) FROM generate_series(1, 10000) i) TO STDOUT`),
      ))
        parts.push(d);
      const rows = copyData(Buffer.concat(parts)).map((b) => b.toString());
      expect(rows).toHaveLength(10_000);
      expect(rows[0]).toBe(`1\t${'x'.repeat(200)}\n`);
      expect(rows[9999]).toBe(`10000\t${'x'.repeat(200)}\n`);
      expect((await client.query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
    } finally {
      client.release();
    }
  });

  it('fails with the server error when the copy fails midway, and the connection carries on', async () => {
    const client = await t.database.pool.connect();
    try {
      const read = async () => {
        for await (const _ of client.query(
          new CopyOutMessages(`COPY (SELECT 1 / (5000 - i) FROM generate_series(1, 10000) i) TO STDOUT`),
        )) {
          // Read and dropped.
        }
      };
      await expect(read()).rejects.toThrow(/division by zero/);
      expect((await client.query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    } finally {
      client.release();
    }
  });

  it('lets the reader stop early: the rest is drained and the connection carries on', async () => {
    const client = await t.database.pool.connect();
    try {
      for await (const _ of client.query(
        new CopyOutMessages(`COPY (SELECT i, repeat('y', 500) FROM generate_series(1, 20000) i) TO STDOUT`),
      ))
        break;
      expect((await client.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
    } finally {
      client.release();
    }
  });
});
