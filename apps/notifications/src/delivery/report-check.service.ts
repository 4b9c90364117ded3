import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { and, asc, eq, gt, inArray, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db } from '@aftercare/database';
import { PermanentError } from '@aftercare/jobs';
import { safeErrorMessage } from '@aftercare/messaging';
import { messages } from '../database/schema.js';
import { SmsSender } from '../providers/sms-sender.js';
import { nextStatus, statusFromTwilio } from './delivery.rules.js';
import { DeliveryStatusService } from './delivery-status.service.js';

/** Messages looked at per pass. */
const BATCH = 50;
/** After this long without a final report, a message is no longer asked about (the carrier never reports). */
const GIVE_UP_AFTER_MS = 3 * 86_400_000;
const HOUR_MS = 3_600_000;
/** One pass at a time across replicas. */
const LOCK = 'aftercare.notifications.delivery-report-check';

export interface ReportCheckResult {
  /** Messages whose status was asked for. */
  checked: number;
  /** Of those, how many had a newer status than ours (recorded like a status callback). */
  reported: number;
}

/**
 * Delivery reports that never came. Twilio calls our status callback once and does not retry,
 * so a report sent while notifications was down (or lost on the way) is gone. An SMS still
 * `sent` DELIVERY_REPORT_CHECK_HOURS (default 6) after it went has its status fetched from the
 * provider (`GET …/Messages/<sid>.json`), and a newer status is recorded and applied exactly as
 * a status callback is (DeliveryStatusService.update: one row per sid + status + error code, so
 * a callback arriving too changes nothing twice; the status only moves forward; a failure falls
 * back). Then again every as many hours, for three days after sending.
 *
 * Runs with the reconciler's interval; one instance at a time claims a batch (an advisory lock)
 * and marks it checked before asking, so replicas never ask about the same message at once.
 */
@Injectable()
export class DeliveryReportCheckService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryReportCheck');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly sms: SmsSender,
    private readonly delivery: DeliveryStatusService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.config.reconcileIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private kick(): void {
    if (this.stopped || this.running) return;
    this.running = this.checkDue()
      .catch((error) => this.logger.warn(`delivery report check: ${safeErrorMessage(error)}`))
      .finally(() => (this.running = null));
  }

  /** One pass: asks the provider about up to BATCH messages whose report is overdue. */
  async checkDue(limit = BATCH): Promise<ReportCheckResult> {
    const now = this.clock.now();
    const waitMs = (this.config.deliveryReportCheckHours ?? 6) * HOUR_MS;
    const overdue = new Date(now.getTime() - waitMs);
    const claimed = await this.db.transaction(async (tx) => {
      const { rows } = await tx.execute<{ locked: boolean }>(sql`SELECT pg_try_advisory_xact_lock(hashtext(${LOCK})) AS locked`);
      if (!rows[0]?.locked) return [];
      const due = tx
        .select({ id: messages.id })
        .from(messages)
        .where(
          and(
            eq(messages.status, 'sent'),
            eq(messages.channel, 'sms'),
            eq(messages.direction, 'outbound'),
            // Only what this provider sent (a log-provider message is nothing to ask Twilio about).
            eq(messages.provider, this.sms.name),
            isNotNull(messages.providerMessageId),
            lte(messages.sentAt, overdue),
            gt(messages.sentAt, new Date(now.getTime() - GIVE_UP_AFTER_MS)),
            or(isNull(messages.reportCheckedAt), lte(messages.reportCheckedAt, overdue)),
          ),
        )
        .orderBy(asc(messages.sentAt), asc(messages.id))
        .limit(limit);
      return tx
        .update(messages)
        .set({ reportCheckedAt: now })
        .where(inArray(messages.id, due))
        .returning({ id: messages.id, sid: messages.providerMessageId });
    });

    let reported = 0;
    for (const { id, sid } of claimed) {
      if (this.stopped) break;
      try {
        const report = await this.sms.fetchStatus(sid!);
        const status = statusFromTwilio(report.status);
        // Nothing newer than `sent`: nothing to record (asked again in as many hours).
        if (!status || !nextStatus('sent', status)) continue;
        const { recorded } = await this.delivery.update({ messageSid: sid!, status: report.status, errorCode: report.errorCode, messageId: id });
        if (recorded) reported++;
      } catch (error) {
        // Asked again next time (a provider that cannot answer now), or never (it does not know it).
        const what = error instanceof PermanentError ? 'is not known to the provider' : 'could not be asked about';
        this.logger.warn(`message ${id}: delivery report ${what}: ${safeErrorMessage(error)}`);
      }
    }
    if (claimed.length > 0) this.logger.log(`asked the provider about ${claimed.length} message(s) without a delivery report; ${reported} had one`);
    return { checked: claimed.length, reported };
  }
}
