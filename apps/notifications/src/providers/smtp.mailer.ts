import nodemailer, { type NodemailerError, type SendMailOptions, type Transporter } from 'nodemailer';
import { PermanentError, RetryableError } from '@aftercare/jobs';
import { Mailer, type EmailSendResult, type OutgoingEmail } from './mailer.js';

export interface SmtpMailerOptions {
  /** smtp://user:pass@host:port (or smtps://) — SMTP_URL. */
  smtpUrl: string;
  /** The From of every mail, e.g. "Aftercare <no-reply@clinic.example>" — MAIL_FROM. */
  from: string;
  /** Connect, greeting and idle-socket timeout (default 15 s). */
  timeoutMs?: number;
}

/**
 * The SMTP server refused the message for good (5xx reply). `code` is `SMTP_<reply code>`;
 * the server's reply text is not copied, as it usually quotes the address.
 */
export class SmtpRejectedError extends PermanentError {
  constructor(readonly responseCode: number) {
    super(`SMTP server refused the message (${responseCode})`, `SMTP_${responseCode}`);
  }
}

/** The SMTP server could not be reached or dropped the connection: nothing was sent. */
export const MAIL_PROVIDER_UNAVAILABLE = 'MAIL_PROVIDER_UNAVAILABLE';

/** Nodemailer error codes that mean the connection failed rather than the message. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ETLS', 'EPROXY', 'ECONNREFUSED', 'ECONNRESET']);
/** Nodemailer error codes for a message that is wrong in itself (no SMTP reply involved). */
const INVALID_MESSAGE_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS', 'ECONFIG']);

/** Sends email through nodemailer's SMTP transport. */
export class SmtpMailer extends Mailer {
  readonly name = 'smtp';
  private readonly transport: Transporter;

  constructor(options: SmtpMailerOptions) {
    super();
    const timeout = options.timeoutMs ?? 15_000;
    this.transport = nodemailer.createTransport(
      {
        url: options.smtpUrl,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
      },
      { from: options.from },
    );
  }

  async send(mail: OutgoingEmail): Promise<EmailSendResult> {
    const message: SendMailOptions = {
      ...(mail.messageId === undefined ? {} : { messageId: mail.messageId }),
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      ...(mail.html === undefined ? {} : { html: mail.html }),
    };
    if (mail.icalEvent) {
      // nodemailer puts the event in twice: as a text/calendar; method=… alternative (what
      // calendar clients act on) and as an .ics attachment (what everyone else can open).
      message.icalEvent = {
        method: mail.icalEvent.method,
        content: mail.icalEvent.content,
        filename: mail.icalEvent.filename ?? (mail.icalEvent.method === 'CANCEL' ? 'cancel.ics' : 'invite.ics'),
      };
    }
    try {
      const info = await this.transport.sendMail(message);
      return { providerMessageId: String(info.messageId) };
    } catch (error) {
      throw mapSmtpError(error);
    }
  }

  /** Closes pooled connections, if any (the default transport opens one per mail). */
  close(): void {
    this.transport.close();
  }
}

/**
 * An SMTP reply decides when there is one (5xx except 503 permanent, 4xx and 503 transient);
 * connection failures are retryable; a malformed message is permanent; anything else (a bug) is
 * passed on untouched. No `cause` is attached: nodemailer's errors quote addresses.
 */
export function mapSmtpError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { code, responseCode, permanent } = error as NodemailerError;
  if (typeof responseCode === 'number') {
    const isPermanent = permanent ?? (responseCode >= 500 && responseCode < 600 && responseCode !== 503);
    if (isPermanent) return new SmtpRejectedError(responseCode);
    return new RetryableError(`SMTP server deferred the message (${responseCode})`, `SMTP_${responseCode}`);
  }
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) {
    return new RetryableError(`SMTP server could not be reached (${code})`, MAIL_PROVIDER_UNAVAILABLE);
  }
  if (typeof code === 'string' && INVALID_MESSAGE_CODES.has(code)) {
    return new PermanentError(`Mail could not be sent as composed (${code})`, `MAIL_${code}`);
  }
  return error;
}
