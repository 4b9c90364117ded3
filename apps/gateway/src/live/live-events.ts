import type { LiveMessageChange } from '@aftercare/contracts';

/** Who a stream is for: the user's clinic, and one patient or all of them. */
export interface StreamScope {
  clinicId: string;
  patientId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The changes in a message from LIVE.messagesChannel, or null when it is not one (anything else
 * published there is ignored, not trusted). Only the two ids of each change are kept.
 */
export function parseLiveChanges(text: string): LiveMessageChange[] | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const changes = (value as { changes?: unknown } | null)?.changes;
  if (!Array.isArray(changes)) return null;
  const valid: LiveMessageChange[] = [];
  for (const change of changes as { clinicId?: unknown; patientId?: unknown }[]) {
    if (typeof change?.clinicId === 'string' && typeof change.patientId === 'string' && UUID.test(change.clinicId) && UUID.test(change.patientId)) {
      valid.push({ clinicId: change.clinicId, patientId: change.patientId });
    }
  }
  return valid;
}

/** The patients of `changes` a stream is told about: its clinic's only, and its patient's only when it has one. */
export function patientsFor(scope: StreamScope, changes: readonly LiveMessageChange[]): string[] {
  const patients = new Set<string>();
  for (const c of changes) {
    if (c.clinicId === scope.clinicId && (scope.patientId === null || c.patientId === scope.patientId)) patients.add(c.patientId);
  }
  return [...patients];
}

/** One event of a text/event-stream (the data is one line of JSON, so one `data:` line). */
export function eventText(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: keeps proxies and the browser from deciding the connection is dead. */
export const KEEP_ALIVE_TEXT = ': keep-alive\n\n';
