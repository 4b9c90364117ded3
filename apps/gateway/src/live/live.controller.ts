import type { ServerResponse } from 'node:http';
import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import type { RequestContext } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { AuthService } from '../auth/auth.service.js';
import { CLINICAL } from '../auth/roles.js';
import { Ctx } from '../common/request-context.js';
import { LiveQueryDto } from './live.dto.js';
import { LiveHub } from './live.hub.js';

/**
 * Live changes of patients' messages for the web app, as a text/event-stream: `ready` once the
 * stream is live, then `messages` with `{ "patientId" }` each time a message of one of the
 * clinic's patients (or of `?patientId=`) is sent, delivered, fails or comes in, and a
 * `: keep-alive` comment every 15 s. Ids only: the page reloads the messages through the API.
 * Clinical roles only, like the messages themselves. The browser's EventSource cannot send the
 * Authorization header, so the web app reads it with fetch.
 *
 * A stream outlives the request's one check of its session: the hub checks it again every few
 * seconds and ends the stream once the session has ended (sign-out, a disabled user, a new
 * password), the token has expired (the app renews it and reconnects) or the role no longer
 * reads messages.
 */
@Controller('api/live')
export class LiveController {
  constructor(
    private readonly hub: LiveHub,
    private readonly auth: AuthService,
  ) {}

  @Get()
  @Roles(...CLINICAL)
  stream(
    @Ctx() ctx: RequestContext,
    @Query() query: LiveQueryDto,
    @Headers('authorization') authorization: string | undefined,
    @Res() res: ServerResponse,
  ): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // Nothing between here and the browser may keep it, transform it or hold it back.
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    const stillAllowed = async () => {
      const { user } = await this.auth.authenticate(authorization);
      return user !== null && user.clinicId === ctx.clinicId && CLINICAL.includes(user.role);
    };
    this.hub.open(res, { clinicId: ctx.clinicId, patientId: query.patientId ?? null }, stillAllowed);
  }
}
