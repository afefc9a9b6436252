export { base62Encode } from './base62.js';
export { crc32 } from './crc32.js';
export * from './redact.js';
export * from './tokens.js';
