import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@aftercare/config';
import { LogMailer } from './log.mailer.js';
import { LogSmsSender } from './log.sms-sender.js';
import { Mailer } from './mailer.js';
import { SmsSender } from './sms-sender.js';
import { SmtpMailer } from './smtp.mailer.js';
import { TwilioSmsSender } from './twilio.sms-sender.js';

/** Twilio and SMTP when configured; otherwise the log providers, so the system runs with no account. */
@Module({})
export class ProvidersModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ProvidersModule,
      providers: [
        {
          provide: SmsSender,
          useFactory: () =>
            config.twilio
              ? new TwilioSmsSender({ accountSid: config.twilio.accountSid, authToken: config.twilio.authToken, from: config.twilio.from, apiUrl: config.twilio.apiUrl ?? undefined })
              : new LogSmsSender(),
        },
        { provide: Mailer, useFactory: () => (config.smtp ? new SmtpMailer({ smtpUrl: config.smtp.url, from: config.smtp.from }) : new LogMailer()) },
      ],
      exports: [SmsSender, Mailer],
    };
  }
}
