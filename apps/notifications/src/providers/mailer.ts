export interface OutgoingEmail {
  /**
   * The Message-ID to send with, e.g. `<message-id@aftercare>`: the same for every attempt of
   * one message, so a mail sent twice (an answer lost, a crash) is one mail to most clients.
   */
  messageId?: string;
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
