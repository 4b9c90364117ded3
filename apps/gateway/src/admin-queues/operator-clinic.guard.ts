import { ForbiddenException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { DEMO } from '@aftercare/contracts';
import type { GatewayRequest } from '../common/http.js';

/** The clinic whose admins run the deployment: OPERATOR_CLINIC_ID, or the demo clinic outside production; null: none. */
export function operatorClinicOf(config: Pick<AppConfig, 'operatorClinicId' | 'production'>): string | null {
  return config.operatorClinicId ?? (config.production ? null : DEMO.clinicId);
}

/**
 * The queue dashboard shows and changes the BullMQ queues every clinic on the deployment shares:
 * pausing one stops every clinic's messages. So an admin (the route's role, checked first by the
 * auth guard) may use it only as an admin of the clinic that runs the deployment.
 */
@Injectable()
export class OperatorClinicGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const user = context.switchToHttp().getRequest<GatewayRequest>().user;
    const operator = operatorClinicOf(this.config);
    if (user && operator !== null && user.clinicId === operator) return true;
    throw new ForbiddenException(
      operator === null
        ? "The queues are shared by every clinic on this deployment, so they are the operator's: set OPERATOR_CLINIC_ID to the clinic whose admins run it"
        : "The queues are shared by every clinic on this deployment: only the admins of the clinic that runs it (OPERATOR_CLINIC_ID) may see and change them. Your clinic's failed messages are at GET /api/messages?status=failed",
    );
  }
}
