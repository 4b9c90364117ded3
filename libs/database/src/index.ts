export * from './migrator.js';
export * from './connection.js';
export * from './database.module.js';
export * from './coalescer.js';
export * from './transient.js';
export * from './prepared-query.js';
export * from './page-cursor.js';
