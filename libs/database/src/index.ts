export * from './database-errors.js';
export * from './database.module.js';
export * from './embedded-postgres.js';
export * from './pool.js';
export * from './pool-keeper.js';
