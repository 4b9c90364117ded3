/**
 * What the admin's pages read from the API that the contracts do not define (users and the
 * virtual clock are the gateway's own: apps/gateway/src/users and dev-clock), and the protocol
 * conditions an admin picks from. Every other shape is the contracts' (libs/contracts), imported
 * as types.
 */
import type { Role } from '../api';

export interface UserResource {
  id: string;
  email: string;
  name: string;
  role: Role;
  clinicianId: string | null;
  disabled: boolean;
  createdAt: string;
}

export const CONDITIONS = ['osteoarthritis', 'fracture', 'osteonecrosis', 'cartilage_injury', 'tendon_injury', 'ligament_injury'] as const;

export interface ClockReading {
  now: string;
  offsetMs: number;
}

export interface AdvanceResult {
  now: string;
  ranDueTimes: number;
  stuck: { service: string; dueAt: string; reason: string }[];
}
