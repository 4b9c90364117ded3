import type net from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { simpleParser, type AddressObject } from 'mailparser';
import { waitFor } from './wait.js';

export interface CapturedAttachment {
  contentType: string;
  filename?: string;
  /** Decoded content as UTF-8 text (the attachments we send are .ics files). */
  content: string;
}

export interface CapturedMail {
  /** Envelope recipients (RCPT TO), the addresses the mail was really sent to. */
  to: string[];
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** The From header as text, e.g. "Aftercare" <no-reply@clinic.test>. */
  fromHeader: string;
  /** The To header addresses. */
  toHeader: string[];
  subject: string;
  text: string;
  html?: string;
  attachments: CapturedAttachment[];
  receivedAt: Date;
  /** The message exactly as it came over DATA. */
  raw: string;
}

export interface SmtpFailure {
  /** SMTP reply code, e.g. 451 (try again later) or 550 (mailbox unavailable). */
  responseCode: number;
  message?: string;
}

/**
 * An SMTP server on loopback that accepts every mail (no STARTTLS, auth optional), parses it
 * with mailparser and keeps it in `mails`. A mail is recorded before its DATA is acknowledged,
 * so it is there as soon as the sender's sendMail() resolves.
 */
export class SmtpCapture {
  readonly mails: CapturedMail[] = [];
  private server?: SMTPServer;
  private port?: number;
  private failures: SmtpFailure[] = [];

  constructor(private readonly requestedPort = 0) {}

  /** smtp://127.0.0.1:PORT — a value for SMTP_URL. */
  get url(): string {
    if (this.port === undefined) throw new Error('SmtpCapture is not started');
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      hideSTARTTLS: true,
      logger: false,
      disableReverseLookup: true,
      // Connections still open at stop() are cut after this long instead of 30 s.
      closeTimeout: 100,
      onAuth: (_auth, _session, callback) => callback(null, { user: 'test' }),
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(
          () => callback(),
          (error: Error) => callback(error),
        );
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.requestedPort, '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    // Client hiccups (a sender that disconnects mid-session) are not test failures.
    server.on('error', () => undefined);
    this.server = server;
    this.port = (server.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  reset(): void {
    this.mails.length = 0;
    this.failures = [];
  }

  /** The next n mails are refused at the end of DATA with this reply. */
  failNext(n: number, failure: SmtpFailure): void {
    for (let i = 0; i < n; i++) this.failures.push(failure);
  }

  /** Resolves with the captured mails (optionally only those to `to`) once there are `count`. */
  async waitForMails(
    count: number,
    { to, timeoutMs = 5000 }: { to?: string; timeoutMs?: number } = {},
  ): Promise<CapturedMail[]> {
    const wanted = to?.toLowerCase();
    return waitFor(
      () => {
        const matching = this.mails.filter((m) => wanted === undefined || m.to.includes(wanted));
        return matching.length >= count ? matching : undefined;
      },
      { timeoutMs, what: `${count} mail(s) in the SMTP capture` },
    );
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const failure = this.failures.shift();
    if (failure) {
      throw Object.assign(new Error(failure.message ?? 'Refused by SmtpCapture'), {
        responseCode: failure.responseCode,
      });
    }
    const raw = Buffer.concat(chunks);
    const parsed = await simpleParser(raw);
    this.mails.push({
      to: session.envelope.rcptTo.map((a: SMTPServerAddress) => a.address.toLowerCase()),
      from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      fromHeader: parsed.from?.text ?? '',
      toHeader: addresses(parsed.to),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : undefined,
      attachments: parsed.attachments.map((a) => ({
        contentType: a.contentType,
        filename: a.filename,
        content: a.content.toString('utf8'),
      })),
      receivedAt: new Date(),
      raw: raw.toString('utf8'),
    });
  }
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  if (!field) return [];
  return (Array.isArray(field) ? field : [field]).flatMap((group) =>
    group.value.map((entry) => entry.address ?? '').filter(Boolean),
  );
}
