import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import type { RequestContext } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY } from '../auth/roles.js';
import { defined } from '../common/http.js';
import { IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { CreateUserDto, UpdateUserDto } from './users.dto.js';
import { UsersService, type UserResource } from './users.service.js';

/** Staff users and their roles: the admin's to manage (PRODUCT.md, "Who uses it"). */
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** The clinic's users, by name. */
  @Get()
  @Roles(...ADMIN_ONLY)
  list(@Ctx() ctx: RequestContext): Promise<UserResource[]> {
    return this.users.list(ctx);
  }

  /** 201 the user; 409 when the e-mail is taken. */
  @Post()
  @Roles(...ADMIN_ONLY)
  create(@Ctx() ctx: RequestContext, @Body() body: CreateUserDto): Promise<UserResource> {
    return this.users.create(ctx, { email: body.email, name: body.name, role: body.role, password: body.password, clinicianId: body.clinicianId ?? null });
  }

  /** 404 for another clinic's user; 409 for an admin locking themselves out. */
  @Patch(':id')
  @Roles(...ADMIN_ONLY)
  update(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: UpdateUserDto): Promise<UserResource> {
    return this.users.update(ctx, params.id, defined({ ...body }));
  }
}
