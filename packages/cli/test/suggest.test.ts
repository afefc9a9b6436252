import { describe, expect, it } from 'vitest';
import { closest } from '../src/lib/closest.js';
import { suggestCommands } from '../src/lib/suggest.js';

describe('suggestions for an unknown command', () => {
  it('finds a subcommand by its name in any group, a synonym, or a near miss', () => {
    expect(suggestCommands('status')).toEqual(['auth status', 'effects status']);
    expect(suggestCommands('whoamii')).toEqual(['whoami']);
    expect(suggestCommands('open')).toEqual(['login']);
    expect(suggestCommands('lgoin')).toEqual(['login']);
    expect(suggestCommands('stauts')).toEqual(['auth status', 'effects status']);
    expect(suggestCommands('secret')).toEqual(['secrets']);
    expect(suggestCommands('frobnicate')).toEqual([]);
  });

  it('matches names case-insensitively, and only close ones', () => {
    expect(closest('Production', ['staging', 'production'])).toEqual(['production']);
    expect(closest('prodution', ['staging', 'production'])).toEqual(['production']);
    expect(closest('qa', ['staging', 'production'])).toEqual([]);
  });
});
