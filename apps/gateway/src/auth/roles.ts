import type { Role } from '@aftercare/contracts';

/**
 * Who may do what (PRODUCT.md, "Roles"). The front desk books and sees schedules and contact
 * details; clinical data (check-in answers, messages, care plans, the due list) is for
 * clinicians and admins; configuration and the dev clock for admins only.
 */
export const ALL_STAFF: readonly Role[] = ['front_desk', 'clinician', 'admin'];
export const CLINICAL: readonly Role[] = ['clinician', 'admin'];
export const ADMIN_ONLY: readonly Role[] = ['admin'];
