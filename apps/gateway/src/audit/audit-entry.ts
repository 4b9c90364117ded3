import type { GatewayRequest } from '../common/http.js';

export type AuditAction = 'read' | 'create' | 'update' | 'delete' | 'deny' | 'login';

/** One row of gateway.audit_log: who did what to which record, how it ended. Never a body. */
export interface AuditEntry {
  clinicId: string | null;
  userId: string | null;
  method: string;
  /** The route pattern (e.g. /api/appointments/:id/cancel), never the URL with its query. */
  route: string;
  action: AuditAction;
  recordType: string;
  /** The `:id` (or `:code`, `:name`…) of the route, when it has one; `:id` when it has several. */
  targetId: string | null;
  patientId: string | null;
  statusCode: number;
  /** The request id (X-Request-Id), also in the answer's header and the services' logs. */
  correlationId: string | null;
}

/**
 * Route prefixes whose answers carry patient data (names, contact details, appointments,
 * messages, pain scores), with the record type they are about. Reads of these are audited;
 * reads of anything else (the clinic's set-up, counts, the clock) are not.
 */
const PATIENT_DATA: readonly (readonly [prefix: string, recordType: string])[] = [
  ['/api/patients/:id/outcomes', 'outcome'],
  ['/api/patients', 'patient'],
  ['/api/fhir/Patient', 'patient'],
  ['/api/appointments', 'appointment'],
  ['/api/day-sheet', 'appointment'],
  ['/api/follow-ups', 'follow_up_item'],
  ['/api/booking-tasks', 'booking_task'],
  ['/api/care-plans', 'care_plan'],
  ['/api/messages', 'message'],
  ['/api/live', 'message'],
  ['/api/waitlist', 'waitlist_entry'],
];
/** Aggregates under a patient-data prefix that name nobody. */
const NOT_PATIENT_DATA = new Set(['/api/follow-ups/counts', '/api/outcomes/summary']);

/** The request as the audit sees it: AuditInterceptor adds ids the answer gave. */
export interface AuditedRequest extends GatewayRequest {
  /** The `id` of the record a POST created. */
  createdRecordId?: string;
  /** The `patientId` of the record the answer was (an appointment, a care plan…). */
  answerPatientId?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const asUuid = (value: unknown): string | null => (typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : null);

const matches = (route: string, prefix: string) => route === prefix || route.startsWith(`${prefix}/`);

/** What kind of record a route is about: patient data by the table above, else its first segment. */
export function recordTypeOf(route: string): { recordType: string; patientData: boolean } {
  if (!NOT_PATIENT_DATA.has(route)) {
    for (const [prefix, recordType] of PATIENT_DATA) if (matches(route, prefix)) return { recordType, patientData: true };
  }
  const segment = /^\/api\/([^/]+)/.exec(route)?.[1] ?? 'unknown';
  return { recordType: segment.replace(/-/g, '_'), patientData: false };
}

/**
 * The audit entry of an answered request, or null when it is not audited. Audited: every
 * /api request that changes something, every read of patient data, and every denied attempt
 * (401 not signed in, 403 wrong role, 404 on a record's route: not there or another clinic's,
 * which the services do not tell apart on purpose).
 */
export function auditEntryOf(req: AuditedRequest, statusCode: number): AuditEntry | null {
  if (!/^\/api(\/|$|\?)/.test(req.originalUrl)) return null;
  const routed = req.route?.path;
  const route = routed ?? '(no route)';
  const { recordType, patientData } = recordTypeOf(route);
  const read = req.method === 'GET' || req.method === 'HEAD';
  const params = req.params ?? {};
  // The record acted on: `:id` where the route has one (a job of a queue: /…/:name/jobs/:id/retry), else its only parameter.
  const paramName = typeof params.id === 'string' ? 'id' : Object.keys(params).find((name) => typeof params[name] === 'string');
  const paramId = paramName ? params[paramName]!.slice(0, 200) : null;
  const denied = statusCode === 401 || statusCode === 403 || (statusCode === 404 && routed !== undefined && paramId !== null);
  if (req.method === 'OPTIONS' || (read && !patientData && !denied)) return null;

  let action: AuditAction;
  if (denied) action = 'deny';
  else if (read) action = 'read';
  else if (route === '/api/auth/login') action = 'login';
  else if (req.method === 'DELETE') action = 'delete';
  else if (req.method === 'POST' && paramId === null) action = 'create';
  else action = 'update';
  const targetId = paramId ?? (action === 'create' ? (asUuid(req.createdRecordId) ?? null) : null);

  const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
  const patientId =
    (recordType === 'patient' || recordType === 'outcome' ? asUuid(targetId) : null) ??
    asUuid(req.query?.patientId) ??
    asUuid(body.patientId) ??
    asUuid(req.answerPatientId);

  return {
    clinicId: req.user?.clinicId ?? null,
    userId: req.user?.id ?? null,
    method: req.method,
    route,
    action,
    recordType,
    targetId,
    patientId,
    statusCode,
    correlationId: req.correlationId ?? null,
  };
}
