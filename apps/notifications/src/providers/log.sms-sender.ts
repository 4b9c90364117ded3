import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { SmsSender, type AcceptedSmsQuery, type OutgoingSms, type SmsSendResult, type SmsStatusReport } from './sms-sender.js';

export interface LoggedSms extends OutgoingSms {
  providerMessageId: string;
}

/** How many sends the log providers keep, so a long-running dev server does not grow forever. */
const KEEP = 1000;

/**
 * The SMS provider when no Twilio credentials are configured: the message goes nowhere, it is
 * kept in memory and its id logged (never the number or the text).
 */
export class LogSmsSender extends SmsSender {
  readonly name = 'log';
  readonly sent: LoggedSms[] = [];
  private readonly logger = new Logger(LogSmsSender.name);

  async send(sms: OutgoingSms): Promise<SmsSendResult> {
    const providerMessageId = `LOG${randomBytes(16).toString('hex')}`;
    this.sent.push({ ...sms, providerMessageId });
    if (this.sent.length > KEEP) this.sent.splice(0, this.sent.length - KEEP);
    this.logger.log(`SMS ${providerMessageId} recorded by the log provider (not sent)`);
    // Nothing will ever report delivery, so the message is as far as it will go.
    return { providerMessageId, status: 'sent' };
  }

  async findAccepted(query: AcceptedSmsQuery): Promise<SmsSendResult[]> {
    return this.sent
      .filter((m) => m.to === query.to && m.body === query.body)
      .reverse()
      .map((m) => ({ providerMessageId: m.providerMessageId, status: 'sent' }));
  }

  /** Nothing can fail on the way to nowhere: whatever it took counts as delivered. */
  async fetchStatus(_providerMessageId: string): Promise<SmsStatusReport> {
    return { status: 'delivered', errorCode: null };
  }
}
