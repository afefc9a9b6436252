export * from './delegation.js';
export * from './permissions.js';
