import { SERVICES, type ServiceName } from '@aftercare/contracts';

/** The services behind the gateway (every one but itself). */
export const DOWNSTREAM_SERVICES: readonly ServiceName[] = SERVICES.filter((s) => s !== 'gateway');
