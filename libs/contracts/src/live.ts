import { BULLMQ_PREFIX } from './jobs.js';

/**
 * Live updates of patients' messages (GET /api/live). Notifications follows its message
 * history only while a gateway has a stream open, and tells the gateways which patients'
 * messages changed: ids only, like every payload that goes through Redis. The pages then
 * reload what they show through the ordinary API, with its checks.
 */
export const LIVE = {
  /**
   * Kept alive (SET … PX) by every gateway that has at least one open stream. Without it,
   * notifications reads nothing (the only cost is one GET per tick).
   */
  listenersKey: `${BULLMQ_PREFIX}:live:listeners`,
  /** How long the key outlives a gateway's last refresh (a gateway that died stops counting). */
  listenersTtlMs: 5_000,
  /** Pub/sub channel: one LiveMessageChanges per tick while someone listens (empty changes included). */
  messagesChannel: `${BULLMQ_PREFIX}:live:messages`,
  /** How often notifications looks, while someone listens. */
  tickMs: 500,
  /** Request pattern answered by notifications: what its publisher has done (LiveStats). */
  statsPattern: 'notifications.live.stats',
} as const;

/** One patient whose messages changed (a new message, inbound or outbound, or a status). */
export interface LiveMessageChange {
  clinicId: string;
  patientId: string;
}

/**
 * What notifications publishes on LIVE.messagesChannel each tick while someone listens. An empty
 * list says "following, nothing changed": a gateway waits for one before telling a stream it
 * is live, and ends its streams when they stop coming.
 */
export interface LiveMessageChanges {
  changes: LiveMessageChange[];
}

/** Counters of notifications' live publisher (the e2e test checks it reads nothing unasked). */
export interface LiveStats {
  /** Whether it follows the history now (a listener was there at the last tick). */
  following: boolean;
  /** Ticks so far (each one GET of the listeners key). */
  ticks: number;
  /** Queries of the message history so far. */
  reads: number;
  /** Messages published so far. */
  published: number;
}
