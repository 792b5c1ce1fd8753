export * from './cache-store.js';
export * from './cache.module.js';
export * from './cache.service.js';
export * from './with-timeout.js';
export * from './invalidation-channel.js';
export * from './local-cache.js';
