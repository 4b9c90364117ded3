import type { ServiceName } from '@aftercare/contracts';
import type { MessagingTables } from './outbox.tables.js';

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export interface MessagingOptions {
  service: ServiceName;
  tables: MessagingTables;
  relayIntervalMs?: number;
  ackTimeoutMs?: number;
  /** Events of different patients the relay has under way at once per subscriber (default 32). */
  relayConcurrency?: number;
}
