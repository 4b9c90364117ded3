export interface OutgoingSms {
  /** E.164 number of the recipient. */
  to: string;
  body: string;
  /** Where the provider reports delivery (sent, delivered, failed, undelivered). */
  statusCallbackUrl?: string;
}

export interface SmsSendResult {
  /** The provider's id for the message (Twilio's SM… sid), kept to match status callbacks. */
  providerMessageId: string;
  /** The provider's status at acceptance, e.g. 'queued'. */
  status: string;
}

/** A message we may have handed over already: to this number, with this text, since then. */
export interface AcceptedSmsQuery {
  to: string;
  body: string;
  /** When the call whose answer was lost started (real time: the provider's clock is). */
  since: Date;
}

/** Where the provider says a message stands now (a delivery report asked for, not pushed). */
export interface SmsStatusReport {
  /** The provider's status, e.g. Twilio's 'delivered', 'undelivered', 'sent'. */
  status: string;
  /** The provider's error code (Twilio's 30003 etc.), null without one. */
  errorCode: string | null;
}

/**
 * Port for sending SMS. An abstract class rather than an interface so that Nest can use it as
 * the injection token. Implementations throw RetryableError when trying again may work
 * (provider down, rate limited, timeout) and PermanentError when it will not (bad number,
 * recipient unsubscribed).
 */
export abstract class SmsSender {
  abstract readonly name: string;
  abstract send(sms: OutgoingSms): Promise<SmsSendResult>;
  /**
   * Whether the provider already has this message (a send whose answer was lost: a timeout, a
   * dropped connection, a crash). Twilio has no idempotency key, so this is a search of the
   * provider's recent messages to the number with the same text, newest first (the caller skips
   * any that belong to another of our messages). Throws RetryableError when
   * the provider cannot say, so that nothing is sent blind.
   */
  abstract findAccepted(query: AcceptedSmsQuery): Promise<SmsSendResult[]>;
  /**
   * The provider's current status of a message it accepted: the delivery report, asked for when
   * its status callback never came (Twilio does not send a callback again). Throws
   * RetryableError when the provider cannot answer now, PermanentError when it does not know
   * the message.
   */
  abstract fetchStatus(providerMessageId: string): Promise<SmsStatusReport>;
}
