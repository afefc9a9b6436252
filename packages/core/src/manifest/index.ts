export * from './routes.js';
export * from './rules.js';
export * from './schema.js';
export * from './secret-ref.js';
export * from './validate.js';
