import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import type { AppConfig } from '@aftercare/config';

/**
 * The Content-Security-Policy the bundled web app runs under: everything from this origin (Vite
 * builds it into /assets: no CDN, no inline script), no inline styles either (React sets style
 * props through the DOM, which CSP allows), nothing embeds the app. No upgrade-insecure-requests:
 * TLS is the deployment's business (a proxy in front), and a clinic's plain-HTTP test install
 * would break under it.
 */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
} as const;

/**
 * HTTP hardening in front of everything the gateway serves (API, webhooks, web app): helmet's
 * headers with the CSP above, CORS only for the configured origins (none: same origin only, so no
 * CORS headers at all), and which proxies to believe about the client's address.
 */
export function hardenHttp(app: NestExpressApplication, config: Pick<AppConfig, 'corsOrigins' | 'trustProxy'>): void {
  app.set('trust proxy', config.trustProxy);
  app.use(helmet({ contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY } }));
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: ['Retry-After', 'X-Request-Id'],
      // Bearer tokens, never cookies: nothing for a browser to send on its own.
      credentials: false,
      maxAge: 600,
    });
  }
}
