export * from './errors.js';
export * from './bull.js';
export * from './dev-clock.participant.js';
export * from './job-scheduler.js';
export * from './jobs.module.js';
export * from './reconciler.js';
export * from './scheduled-source.js';
export * from './job-runner.js';
