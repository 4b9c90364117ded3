import { IsId, Required } from './validation/validators.js';

/** `:id` of a resource route: a UUID, checked before anything is forwarded. */
export class IdParamDto {
  @Required()
  @IsId()
  id!: string;
}

/** A POST that takes no body: anything sent is refused as an unknown field. */
export class EmptyBodyDto {}
