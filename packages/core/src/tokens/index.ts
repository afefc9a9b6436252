export * from './tokens.js';
export { crc32 } from './crc32.js';
export { base62Encode } from './base62.js';
