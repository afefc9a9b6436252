export * from './dotenv.js';
export * from './references.js';
export * from './rules.js';
