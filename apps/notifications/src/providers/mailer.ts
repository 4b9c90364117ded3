export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** A calendar invitation or cancellation, sent as text/calendar alternative and .ics attachment. */
  icalEvent?: { method: 'REQUEST' | 'CANCEL'; content: string; filename?: string };
}

export interface EmailSendResult {
  /** The Message-ID of the sent mail (or the log provider's id). */
  providerMessageId: string;
}

/**
 * Port for sending email; an abstract class so that Nest can inject it by this token.
 * Implementations throw RetryableError or PermanentError like SmsSender.
 */
export abstract class Mailer {
  abstract readonly name: string;
  abstract send(mail: OutgoingEmail): Promise<EmailSendResult>;
}
