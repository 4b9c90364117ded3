import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Mailer, type EmailSendResult, type OutgoingEmail } from './mailer.js';

export interface LoggedEmail extends OutgoingEmail {
  providerMessageId: string;
}

/** How many sends the log providers keep, so a long-running dev server does not grow forever. */
const KEEP = 1000;

/**
 * The email provider when no SMTP is configured: the mail is kept in memory and its id logged
 * (never the address, subject or text).
 */
export class LogMailer extends Mailer {
  readonly name = 'log';
  readonly sent: LoggedEmail[] = [];
  private readonly logger = new Logger(LogMailer.name);

  async send(mail: OutgoingEmail): Promise<EmailSendResult> {
    const providerMessageId = `LOG${randomBytes(16).toString('hex')}`;
    this.sent.push({ ...mail, providerMessageId });
    if (this.sent.length > KEEP) this.sent.splice(0, this.sent.length - KEEP);
    this.logger.log(`Email ${providerMessageId} recorded by the log provider (not sent)`);
    return { providerMessageId };
  }
}
