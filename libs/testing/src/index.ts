export { waitFor, type WaitForOptions } from './wait.js';
export { holdTransaction, waitForLockWaiters, type SqlExecutor, type Transactor } from './lock-waiters.js';
export { freePort, freePorts } from './free-port.js';
export { TcpProxy } from './tcp-proxy.js';
export { metricValue, parsePrometheusText, type MetricSample } from './prometheus-text.js';
export {
  TwilioFake,
  type TwilioFakeOptions,
  type TwilioFakeMessage,
  type TwilioFakeFailure,
  type DropOptions,
  type DelayOptions,
  type FailOptions,
  type InboundSms,
  type WebhookCallOptions,
  type WebhookSignOptions,
  type WebhookResponse,
} from './twilio-fake.js';
export { SmtpCapture, type CapturedMail, type CapturedAttachment, type SmtpFailure } from './smtp-capture.js';
export { PrivateRedis, type PrivateRedisOptions } from './redis-server.js';
export { PrivatePostgres, type PrivatePostgresOptions } from './postgres-server.js';
export { createTestDatabase, type TestDatabase } from './test-database.js';
export { fhirR4Problems } from './fhir-schema.js';
