export * from './app-config.js';
export * from './config.module.js';
export * from './load-config.js';
export * from './security-rules.js';
