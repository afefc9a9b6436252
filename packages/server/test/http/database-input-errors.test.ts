import { describe, expect, it } from 'vitest';
import { toAppError } from '../../src/http/errors.js';

/** How drizzle hands a driver error to us: the PostgreSQL error is the cause. */
function driverError(code: string) {
  return Object.assign(new Error('Failed query: select …'), {
    cause: Object.assign(new Error('pg'), { code }),
  });
}

describe('PostgreSQL input errors that get past the schemas', () => {
  it.each([
    ['22021', 'NUL byte in text'],
    ['22P05', 'untranslatable character in jsonb'],
    ['22P02', 'bad text for a type'],
    ['22003', 'integer out of range'],
    ['22008', 'date/time field out of range'],
    ['22007', 'bad date/time format'],
  ])('%s (%s) is a 400 INVALID_INPUT with a hint, not a 500', (code) => {
    const err = toAppError(driverError(code));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.status).toBe(400);
    expect(err.hint).toMatch(/NUL/);
  });

  it('other database errors stay 500', () => {
    expect(toAppError(driverError('42P01')).code).toBe('INTERNAL');
  });
});
