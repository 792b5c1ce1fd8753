export * from './cache.health.js';
export * from './database.health.js';
export * from './health.module.js';
export * from './pool.health.js';
