export * from './tokens/index.js';
export * from './permissions/index.js';
export * from './durations.js';
export * from './contract/index.js';
