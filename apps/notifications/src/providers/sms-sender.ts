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

/**
 * Port for sending SMS. An abstract class rather than an interface so that Nest can use it as
 * the injection token. Implementations throw RetryableError when trying again may work
 * (provider down, rate limited, timeout) and PermanentError when it will not (bad number,
 * recipient unsubscribed).
 */
export abstract class SmsSender {
  abstract readonly name: string;
  abstract send(sms: OutgoingSms): Promise<SmsSendResult>;
}
