export * from './dotenv.js';
export * from './rules.js';
