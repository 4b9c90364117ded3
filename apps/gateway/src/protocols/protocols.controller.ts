import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import {
  PATTERNS,
  type AddProtocolVersionData,
  type CreateProtocolData,
  type ListProtocolsData,
  type ProtocolResource,
  type RequestContext,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY, CLINICAL } from '../auth/roles.js';
import { defined } from '../common/http.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { AddProtocolVersionDto, CreateProtocolDto, ListProtocolsQueryDto, ProtocolCodeParamDto, SetProtocolActiveDto } from './protocols.dto.js';

const P = PATTERNS.followup;

/**
 * Follow-up protocols: configuration, so only admins write; clinicians read them (to know what
 * a patient's plan will do). An edit is a new version; running plans keep theirs.
 */
@Controller('api/protocols')
export class ProtocolsController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get()
  @Roles(...CLINICAL)
  list(@Ctx() ctx: RequestContext, @Query() query: ListProtocolsQueryDto): Promise<ProtocolResource[]> {
    const data: ListProtocolsData = defined({ procedureType: query.procedureType, active: query.active });
    return this.services.send(P.protocolsList, ctx, data);
  }

  @Get(':code')
  @Roles(...CLINICAL)
  get(@Ctx() ctx: RequestContext, @Param() params: ProtocolCodeParamDto): Promise<ProtocolResource> {
    return this.services.send(P.protocolsGet, ctx, { code: params.code });
  }

  @Post()
  @Roles(...ADMIN_ONLY)
  create(@Ctx() ctx: RequestContext, @Body() body: CreateProtocolDto): Promise<ProtocolResource> {
    const data: CreateProtocolData = {
      code: body.code,
      name: body.name,
      procedureType: body.procedureType,
      site: body.site ?? null,
      condition: body.condition ?? null,
      steps: body.steps.map((s) => ({ ...s })),
      note: body.note ?? null,
    };
    return this.services.send(P.protocolsCreate, ctx, data);
  }

  /** An edit: a new version new plans start from. */
  @Post(':code/versions')
  @Roles(...ADMIN_ONLY)
  addVersion(@Ctx() ctx: RequestContext, @Param() params: ProtocolCodeParamDto, @Body() body: AddProtocolVersionDto): Promise<ProtocolResource> {
    const data: AddProtocolVersionData = defined({ code: params.code, name: body.name, steps: body.steps.map((s) => ({ ...s })), note: body.note ?? null });
    return this.services.send(P.protocolsAddVersion, ctx, data);
  }

  /** Retire a protocol (`{ "active": false }`) or bring it back. */
  @Patch(':code')
  @Roles(...ADMIN_ONLY)
  setActive(@Ctx() ctx: RequestContext, @Param() params: ProtocolCodeParamDto, @Body() body: SetProtocolActiveDto): Promise<ProtocolResource> {
    return this.services.send(P.protocolsSetActive, ctx, { code: params.code, active: body.active });
  }
}
