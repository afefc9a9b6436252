import { describe, expect, it } from 'vitest';
import { Email, normaliseEmail } from '../src/index.js';

describe('normaliseEmail', () => {
  it('trims and lowers A-Z, and nothing else', () => {
    expect(normaliseEmail('  Ops.Admin@Example.COM ')).toBe('ops.admin@example.com');
    expect(normaliseEmail("o'brien+tag@example.com")).toBe("o'brien+tag@example.com");
    expect(normaliseEmail('ops.admin@example.com')).toBe('ops.admin@example.com');
  });

  it('refuses every Unicode spelling that some case mapping or normal form turns into ASCII', () => {
    const traps = [
      'ops.adm\u0130n@example.com', // İ: PostgreSQL lower() folds it to i under some locales
      'ops.adm\u0131n@example.com', // ı (dotless i): upper-cases to I
      'ops.\u212Aey@example.com', // Kelvin sign: JavaScript lowers it to k
      'ops.\u212Bdmin@example.com', // Angstrom sign: lowers to å
      'ops.admin@exa\u017Fple.com', // ſ (long s): upper-cases to S
      '\uFF4Fps.admin@example.com', // fullwidth o: NFKC makes it o
      'ops.ad\uFB01n@example.com', // ﬁ ligature: NFKC makes it fi
      'ops.admi\u0301n@example.com', // combining accent
      'ops.adm\u0456n@example.com', // Cyrillic і, looks like i
      'ops.admin@example.com\u200B', // zero-width space (trim leaves it)
      'ops.admin\u0000@example.com',
      'ops.admin@ex\u00E4mple.com',
      'STRASSE@example.com'.replace('SS', '\u1E9E'), // ẞ: lowers to ß
    ];
    for (const trap of traps) {
      expect(normaliseEmail(trap), JSON.stringify(trap)).toBeNull();
      expect(Email.safeParse(trap).success, JSON.stringify(trap)).toBe(false);
    }
  });

  it('is the Email schema, so what the API accepts is exactly what is stored and looked up', () => {
    for (const input of [
      'A@B.CO',
      ' x.y@example.org ',
      'not an email',
      '',
      'a@b',
      `${'a'.repeat(250)}@b.co`,
    ]) {
      const parsed = Email.safeParse(input);
      expect(normaliseEmail(input)).toBe(parsed.success ? parsed.data : null);
    }
    expect(normaliseEmail(42)).toBeNull();
    expect(normaliseEmail(undefined)).toBeNull();
  });
});
