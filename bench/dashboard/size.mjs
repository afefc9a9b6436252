// First-page JavaScript of the dashboard, gzipped, against issue 14's budget of 250 KB: every
// script the built index.html loads (the entry) plus the chunks it imports statically.
// Run after `npm run build --workspace=packages/web` (bootstrap builds it).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = path.resolve(import.meta.dirname, '../../packages/web/dist');
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const BUDGET = 250 * 1024;
const seen = new Set();
const queue = [...html.matchAll(/<script[^>]*\ssrc="\/([^"]+)"/g)].map((m) => m[1]);
let raw = 0;
let gz = 0;
while (queue.length > 0) {
  const file = queue.shift();
  if (seen.has(file)) continue;
  seen.add(file);
  const code = readFileSync(path.join(dist, file));
  raw += code.length;
  gz += gzipSync(code, { level: 9 }).length;
  // Static imports of other chunks (`import … from "./x.js"`); dynamic ones load later.
  for (const m of code
    .toString('utf8')
    .matchAll(/\bimport\s*(?:[\w*{}\s,]+from\s*)?["']\.\/([^"']+\.js)["']/g))
    queue.push(path.posix.join(path.posix.dirname(file), m[1]));
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`files: ${[...seen].join(', ')}`);
console.log(
  `first-page JS: ${kb(raw)} raw, ${kb(gz)} gzipped; budget ${kb(BUDGET)} gzipped: ${gz <= BUDGET ? 'within' : 'OVER'} (${((gz / BUDGET) * 100).toFixed(0)}%)`,
);
process.exitCode = gz <= BUDGET ? 0 : 1;
