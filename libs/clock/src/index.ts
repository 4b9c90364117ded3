export * from './clock.js';
export * from './virtual-clock.js';
export * from './clock.module.js';
export * from './quiet-hours.js';
