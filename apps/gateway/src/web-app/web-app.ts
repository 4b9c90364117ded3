import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** dist/web, built by `npm run build` (vite) beside dist/apps/gateway/src/web-app/. */
export const DEFAULT_WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../web');

/** The little of Express's request and response this needs (express's own types are not a dependency). */
interface PageRequest {
  method: string;
  path: string;
}
interface PageResponse {
  status(code: number): PageResponse;
  type(type: string): PageResponse;
  send(body: string): void;
  setHeader(name: string, value: string): void;
  sendFile(path: string): void;
}

/** Paths that belong to the server, never to the web app's pages. */
const SERVER_PATHS = /^\/(api|webhooks|health|metrics)(\/|$)/;

/**
 * Serves the web app on the API's port: the built files under /assets (named by their content
 * hash, so cached for a year), and index.html for every other GET that asks for a page, so that a
 * link to /due or /patients/<id> opens the app there. No CDN: everything the app needs is here.
 * Without a build (a fresh clone before `npm run build`), pages say how to build it.
 */
export function serveWebApp(app: NestExpressApplication, dir: string = DEFAULT_WEB_DIR): void {
  const index = path.join(dir, 'index.html');
  app.useStaticAssets(path.join(dir, 'assets'), { prefix: '/assets', immutable: true, maxAge: '365d', index: false, fallthrough: false });
  app.use((req: PageRequest, res: PageResponse, next: () => void) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || SERVER_PATHS.test(req.path)) return next();
    // A file the build put at the top (none today) or a page of the app.
    if (/\.[a-z0-9]+$/i.test(req.path)) return next();
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('The web app is not built. Run `npm run build` (or `npm start`, which builds it) and reload.');
      return;
    }
    // The page itself is never cached: a new build is picked up on the next load.
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
