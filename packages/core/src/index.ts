export * from './contract/index.js';
export * from './durations.js';
export * from './emails.js';
export * from './manifest/index.js';
export * from './names.js';
export * from './permissions/index.js';
export * from './secrets/index.js';
export * from './tokens/index.js';
