import { describe, expect, it, vi } from 'vitest';
import { createTestClock } from '../../src/clock.js';
import { createLastUsedRecorder } from '../../src/services/last-used.js';
import type { Db } from '../../src/store/db.js';

/** A database that records how many rows each last-used statement carried, failing when told. */
function fakeDb(fail: (call: number) => boolean = () => false) {
  const rowsPerStatement: number[] = [];
  const execute = vi.fn(async (query: { queryChunks: unknown[] }) => {
    const call = rowsPerStatement.length;
    // The rows travel as one JSON parameter of the statement.
    const json = query.queryChunks.find((c) => typeof c === 'string' && c.startsWith('[')) as string;
    rowsPerStatement.push((JSON.parse(json) as unknown[]).length);
    if (fail(call)) throw new Error('connection lost');
    return { rows: [] };
  });
  return { db: { execute } as unknown as Db, rowsPerStatement };
}

describe('the last-used recorder', () => {
  it('writes a busy node’s pending uses in statements of at most 500 rows, every use once', async () => {
    const clock = createTestClock();
    const { db, rowsPerStatement } = fakeDb();
    const recorder = createLastUsedRecorder({ db, clock });
    for (let i = 0; i < 1_234; i++) recorder.touch('api_key', `ak_${i}`);
    await recorder.flush();
    expect(rowsPerStatement).toEqual([500, 500, 234]);
    await recorder.close();
  });

  it('stops at the first failed statement and lets every unwritten use be recorded again', async () => {
    const clock = createTestClock();
    const { db, rowsPerStatement } = fakeDb((call) => call === 1);
    const log = vi.fn();
    const recorder = createLastUsedRecorder({ db, clock, log });
    for (let i = 0; i < 1_200; i++) recorder.touch('api_key', `ak_${i}`);
    await recorder.flush();
    expect(rowsPerStatement).toEqual([500, 500]); // the third would fail the same way
    expect(log).toHaveBeenCalledTimes(1);
    // The first 500 were written: their next use within the minute is not due. The other 700 are.
    for (let i = 0; i < 1_200; i++) recorder.touch('api_key', `ak_${i}`);
    await recorder.flush();
    expect(rowsPerStatement.slice(2)).toEqual([500, 200]);
    await recorder.close();
  });
});
