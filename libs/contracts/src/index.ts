export * from './events.js';
export * from './jobs.js';
export * from './patterns.js';
export * from './demo.js';
export * from './resources.js';
export * from './outcomes.js';
export * from './live.js';
