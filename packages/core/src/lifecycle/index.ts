export * from './answers.js';
export * from './expiry.js';
export * from './last-used.js';
export * from './rotation.js';
export * from './status.js';
