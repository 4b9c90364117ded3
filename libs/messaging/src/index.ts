export * from './activity.js';
export * from './errors.js';
export * from './inbox.js';
export * from './messaging.module.js';
export * from './messaging.options.js';
export * from './outbox.js';
export * from './outbox.tables.js';
export * from './service-client.js';
