import twilio from 'twilio';
import { PermanentError, RetryableError } from '@aftercare/jobs';
import { SmsSender, type AcceptedSmsQuery, type OutgoingSms, type SmsSendResult, type SmsStatusReport } from './sms-sender.js';

export interface TwilioSmsSenderOptions {
  accountSid: string;
  authToken: string;
  /** Our number (or alphanumeric sender) the SMS comes from. */
  from: string;
  /**
   * Base URL of the Twilio REST API instead of https://api.twilio.com, e.g. a local
   * Twilio-compatible server in tests (TWILIO_API_URL).
   */
  apiUrl?: string;
  /** Give up on an answer after this long (default 10 s). */
  timeoutMs?: number;
}

/** Twilio error codes the rest of the service cares about. */
export const TwilioErrorCode = {
  AUTHENTICATE: 20003,
  INVALID_TO_NUMBER: 21211,
  /** The recipient replied STOP: Twilio refuses every message to them until they reply START. */
  UNSUBSCRIBED_RECIPIENT: 21610,
  NOT_A_MOBILE_NUMBER: 21614,
} as const;

/**
 * Twilio refused the message for good (HTTP 4xx). `code` is `TWILIO_<twilioCode>`, e.g.
 * TWILIO_21610 for an unsubscribed recipient; the numeric code is kept as `twilioCode`.
 * Twilio's own message is not copied, as it often quotes the phone number.
 */
export class TwilioRejectedError extends PermanentError {
  constructor(
    readonly httpStatus: number,
    readonly twilioCode: number | undefined,
    readonly moreInfo?: string,
  ) {
    super(
      `Twilio refused the message (HTTP ${httpStatus}${twilioCode === undefined ? '' : `, error ${twilioCode}`})`,
      twilioCode === undefined ? `TWILIO_HTTP_${httpStatus}` : `TWILIO_${twilioCode}`,
    );
  }
}

/** Twilio answered 503 (or 408), or could not be reached: it did not take the message. */
export const SMS_PROVIDER_UNAVAILABLE = 'SMS_PROVIDER_UNAVAILABLE';
/** Twilio answered 429: it did not take the message. */
export const SMS_PROVIDER_RATE_LIMITED = 'SMS_PROVIDER_RATE_LIMITED';
/** No answer (timeout, connection dropped after the request went out): it may have been sent. */
export const SMS_PROVIDER_TIMEOUT = 'SMS_PROVIDER_TIMEOUT';
/**
 * Twilio answered 500, 502, 504 (any 5xx but 503): an error inside Twilio or a gateway in front
 * of it, after the request may have been taken. Like a timeout, the message may have been sent.
 */
export const SMS_PROVIDER_ERROR = 'SMS_PROVIDER_ERROR';

/** Error codes of a call whose outcome is unknown: before calling again, ask whether it went. */
export const SMS_OUTCOME_UNKNOWN_CODES: ReadonlySet<string> = new Set([SMS_PROVIDER_TIMEOUT, SMS_PROVIDER_ERROR]);

/** Network error codes (from axios under the twilio library) where the request may have arrived. */
const NO_ANSWER_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Sends SMS through the official twilio library. */
export class TwilioSmsSender extends SmsSender {
  readonly name = 'twilio';
  private readonly client: twilio.Twilio;
  private readonly from: string;

  constructor(options: TwilioSmsSenderOptions) {
    super();
    this.from = options.from;
    // autoRetry stays off: retrying is BullMQ's job, with the message row's state machine
    // deciding whether a retry may send again.
    this.client = twilio(options.accountSid, options.authToken, {
      timeout: options.timeoutMs ?? 10_000,
      autoRetry: false,
    });
    if (options.apiUrl) {
      // Every resource of the Api domain (Messages included) builds its URL from the
      // domain's baseUrl at request time, so replacing it redirects the whole domain.
      this.client.api.baseUrl = options.apiUrl;
    }
  }

  async send(sms: OutgoingSms): Promise<SmsSendResult> {
    try {
      const message = await this.client.messages.create({
        to: sms.to,
        from: this.from,
        body: sms.body,
        ...(sms.statusCallbackUrl ? { statusCallback: sms.statusCallbackUrl } : {}),
      });
      return { providerMessageId: message.sid, status: message.status };
    } catch (error) {
      throw mapTwilioError(error);
    }
  }

  /**
   * Searches the newest messages from our number to `to` for the same text created since the
   * lost call began. Twilio lists newest first; one page of LOOKUP_PAGE is plenty for one
   * patient's number in the minutes a retry is away.
   */
  async findAccepted(query: AcceptedSmsQuery): Promise<SmsSendResult[]> {
    try {
      const page = await this.client.messages.page({ to: query.to, from: this.from, pageSize: LOOKUP_PAGE });
      const since = query.since.getTime() - CLOCK_SKEW_MS;
      return page.instances
        .filter((m) => m.body === query.body && (m.dateCreated?.getTime() ?? Number.POSITIVE_INFINITY) >= since)
        .map((m) => ({ providerMessageId: m.sid, status: m.status }));
    } catch (error) {
      const mapped = mapTwilioError(error);
      // Whatever the reason, a lookup that cannot answer must not turn into a blind resend.
      if (mapped instanceof RetryableError) throw mapped;
      throw new RetryableError('Twilio could not be asked whether it has the message', SMS_PROVIDER_UNAVAILABLE);
    }
  }

  /** `GET /Messages/<sid>.json`: the message's status and error code as Twilio has them now. */
  async fetchStatus(providerMessageId: string): Promise<SmsStatusReport> {
    try {
      const message = await this.client.messages(providerMessageId).fetch();
      return { status: message.status, errorCode: message.errorCode === null || message.errorCode === undefined ? null : String(message.errorCode) };
    } catch (error) {
      throw mapTwilioError(error);
    }
  }
}

/** How many of the number's newest messages the lookup reads. */
const LOOKUP_PAGE = 50;
/** Twilio's clock against the database's: a message created this much "before" still counts. */
const CLOCK_SKEW_MS = 2 * 60_000;

/**
 * RestException (Twilio answered with an error) → by HTTP status; a network error → retryable;
 * anything else (a bug) is passed on untouched. No `cause` is attached: the library's errors
 * carry the request, and with it the number and the text.
 */
export function mapTwilioError(error: unknown): unknown {
  if (error instanceof twilio.RestException) {
    const status = error.status;
    if (status === 429) {
      return new RetryableError(`Twilio rate limited the request (HTTP 429)`, SMS_PROVIDER_RATE_LIMITED);
    }
    if (status === 503 || status === 408) {
      return new RetryableError(`Twilio is unavailable (HTTP ${status})`, SMS_PROVIDER_UNAVAILABLE);
    }
    if (status >= 500) {
      return new RetryableError(`Twilio failed (HTTP ${status}); it may have taken the message`, SMS_PROVIDER_ERROR);
    }
    return new TwilioRejectedError(status, typeof error.code === 'number' ? error.code : undefined, error.moreInfo);
  }
  const code = networkErrorCode(error);
  if (code !== undefined && NO_ANSWER_CODES.has(code)) {
    return new RetryableError(`No answer from Twilio (${code})`, SMS_PROVIDER_TIMEOUT);
  }
  if (code !== undefined && (UNREACHABLE_CODES.has(code) || isAxiosError(error))) {
    return new RetryableError(`Twilio could not be reached (${code})`, SMS_PROVIDER_UNAVAILABLE);
  }
  if (isAxiosError(error)) {
    return new RetryableError('Twilio could not be reached', SMS_PROVIDER_UNAVAILABLE);
  }
  return error;
}

function isAxiosError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { isAxiosError?: unknown }).isAxiosError === true;
}

function networkErrorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
