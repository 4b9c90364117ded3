import { PATTERNS, QUEUES } from '@aftercare/contracts';
import { queueAdminController } from '@aftercare/jobs';

/** GET /api/admin/queues and retry-failed for the queue this service runs the workers of. */
export const QueueAdminController = queueAdminController({ queue: QUEUES.waitlistOffers, service: 'scheduling', patterns: PATTERNS.scheduling });
