import { escapeReferences } from './references.js';
import { secretNameError, secretValueError } from './rules.js';

export type DotenvEntry = { name: string; value: string; line: number };
export type DotenvIssue = { line: number; message: string };
export type ParsedDotenv = { entries: DotenvEntry[]; issues: DotenvIssue[] };

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

/**
 * Parses .env text: `NAME=value`, `export NAME=value`, `#` comments, blank lines, unquoted values
 * (trimmed, ` #` starts a comment), single or backtick quotes (literal) and double quotes (with
 * \n \r \t \" \\ \$ escapes); quoted values may span lines. Every problem is reported with its
 * line number instead of stopping at the first, so one fix-up pass is enough.
 */
export function parseDotenv(text: string): ParsedDotenv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: DotenvEntry[] = [];
  const issues: DotenvIssue[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.trimStart();
    if (raw === '' || raw.startsWith('#')) continue;
    const body = raw.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    if (eq <= 0) {
      issues.push({ line: lineNo, message: 'expected NAME=value' });
      continue;
    }
    const name = body.slice(0, eq).trim();
    let rest = body.slice(eq + 1).trimStart();
    let value: string;
    const quote = rest[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      const read = readQuoted(lines, i, rest.slice(1), quote);
      if (!read) {
        issues.push({ line: lineNo, message: `the ${quote}-quoted value is never closed` });
        break;
      }
      value = read.value;
      i = read.endLine;
      rest = read.after.trim();
      if (rest !== '' && !rest.startsWith('#')) {
        issues.push({ line: read.endLine + 1, message: 'unexpected text after the closing quote' });
        continue;
      }
    } else {
      value = rest.replace(/\s+#.*$/, '').trimEnd();
    }
    const nameError = secretNameError(name);
    if (nameError) {
      issues.push({ line: lineNo, message: nameError });
      continue;
    }
    const valueError = secretValueError(value);
    if (valueError) {
      issues.push({ line: lineNo, message: `${name}: ${valueError}` });
      continue;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      issues.push({ line: lineNo, message: `${name} is already set on line ${earlier}` });
      continue;
    }
    seen.set(name, lineNo);
    entries.push({ name, value, line: lineNo });
  }
  return { entries, issues };
}

function readQuoted(
  lines: string[],
  start: number,
  first: string,
  quote: string,
): { value: string; endLine: number; after: string } | null {
  let out = '';
  let text = first;
  for (let line = start; line < lines.length; ) {
    for (let j = 0; j < text.length; j++) {
      const ch = text[j]!;
      if (quote === '"' && ch === '\\' && j + 1 < text.length) {
        const next = text[j + 1]!;
        out += ESCAPES[next] ?? `\\${next}`;
        j++;
      } else if (ch === quote) {
        return { value: out, endLine: line, after: text.slice(j + 1) };
      } else {
        out += ch;
      }
    }
    line++;
    if (line >= lines.length) break;
    out += '\n';
    text = lines[line]!;
  }
  return null;
}

const PLAIN = /^[A-Za-z0-9_./:@+,=%-]*$/;

/**
 * One `NAME=value` line per entry, quoting (and escaping) only where parseDotenv needs it. The
 * values are literal (resolved), while an imported value's `${…}` is a secret reference, so every
 * literal `${` is written as `$${`: importing the file again stores values that resolve to these.
 */
export function formatDotenv(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, literal]) => {
      const value = escapeReferences(literal);
      return `${name}=${PLAIN.test(value) ? value : quoteValue(value)}`;
    })
    .join('\n')
    .concat(Object.keys(values).length ? '\n' : '');
}

function quoteValue(value: string): string {
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, '\\$')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r');
  return `"${escaped}"`;
}
