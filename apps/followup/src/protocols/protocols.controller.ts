import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  PATTERNS,
  type AddProtocolVersionData,
  type CreateProtocolData,
  type ListProtocolsData,
  type ProtocolCodeData,
  type RpcRequest,
  type SetProtocolActiveData,
} from '@aftercare/contracts';
import { ProtocolsService } from './protocols.service.js';

const P = PATTERNS.followup;

/** Protocol administration, from the gateway (which lets only admins write). */
@Controller()
export class ProtocolsController {
  constructor(private readonly protocols: ProtocolsService) {}

  @MessagePattern(P.protocolsList)
  list(@Payload() { ctx, data }: RpcRequest<ListProtocolsData>) {
    return this.protocols.list(ctx, data ?? {});
  }

  @MessagePattern(P.protocolsGet)
  get(@Payload() { ctx, data }: RpcRequest<ProtocolCodeData>) {
    return this.protocols.get(ctx, data.code);
  }

  @MessagePattern(P.protocolsCreate)
  create(@Payload() { ctx, data }: RpcRequest<CreateProtocolData>) {
    return this.protocols.create(ctx, data);
  }

  @MessagePattern(P.protocolsAddVersion)
  addVersion(@Payload() { ctx, data }: RpcRequest<AddProtocolVersionData>) {
    return this.protocols.addVersion(ctx, data);
  }

  @MessagePattern(P.protocolsSetActive)
  setActive(@Payload() { ctx, data }: RpcRequest<SetProtocolActiveData>) {
    return this.protocols.setActive(ctx, data);
  }
}
