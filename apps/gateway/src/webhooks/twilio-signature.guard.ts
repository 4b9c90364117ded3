import { BadRequestException, ForbiddenException, Inject, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import twilio from 'twilio';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import type { GatewayRequest } from '../common/http.js';

/**
 * The form parameters exactly as Twilio signed them: from the raw body when Nest kept it, so
 * that nothing the body parser does (nesting `a[b]` keys, for one) changes what is checked.
 */
export function signedParams(req: Pick<GatewayRequest, 'rawBody' | 'body'>): Record<string, string> {
  if (req.rawBody) return Object.fromEntries(new URLSearchParams(req.rawBody.toString('utf8')));
  const body = req.body;
  if (typeof body !== 'object' || body === null) return {};
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/**
 * Refuses a webhook that Twilio did not sign: 400 without an X-Twilio-Signature, 403 with one
 * that does not match. With no TWILIO_AUTH_TOKEN configured (the log provider) there is nothing
 * to check against: in development every call is let through, in production every call is refused.
 * The signature covers PUBLIC_URL + the path Twilio called, so PUBLIC_URL must be the URL
 * Twilio uses, including behind a proxy.
 */
@Injectable()
export class TwilioSignatureGuard implements CanActivate {
  private readonly logger = new Logger('TwilioSignature');
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const authToken = this.config.twilioAuthToken;
    const req = context.switchToHttp().getRequest<GatewayRequest>();
    if (!authToken) {
      // In production a webhook nobody can check is refused: without Twilio configured this
      // deployment sends no SMS, so anything posted here is not from Twilio.
      if (!this.config.production) return true;
      this.logger.warn(`refused ${req.route?.path ?? 'webhook'}: TWILIO_AUTH_TOKEN is not set, so no signature can be checked`);
      throw new ForbiddenException('This deployment takes no Twilio webhooks: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM to use Twilio');
    }
    const signature = req.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || signature.length === 0) {
      this.logger.warn(`refused ${req.route?.path ?? 'webhook'}: no X-Twilio-Signature header`);
      // Not a Twilio call at all (or a broken proxy): a bad request, not a forgery.
      throw new BadRequestException('The X-Twilio-Signature header is missing');
    }
    const url = this.config.publicUrl + req.originalUrl;
    if (!twilio.validateRequest(authToken, signature, url, signedParams(req))) {
      this.logger.warn(`refused ${req.route?.path ?? 'webhook'}: X-Twilio-Signature does not match (checked for ${this.config.publicUrl})`);
      throw new ForbiddenException('The X-Twilio-Signature header does not match this request');
    }
    return true;
  }
}
