export * from './event-loop.monitor.js';
export * from './metrics.js';
export * from './metrics-access.js';
export * from './ops-health.service.js';
export * from './ops-http.server.js';
export * from './ops.module.js';
export * from './ops.tokens.js';
export * from './readiness-checks.js';
