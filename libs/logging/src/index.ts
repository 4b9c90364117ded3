export * from './app-logger.js';
export * from './log-context.js';
export * from './redaction.js';
export * from './safe-error.js';
export * from './text-format.js';
