import type { SessionUser } from '../../api';
import { clinicianOfParam } from '../../components/ClinicianFilter';

/** Items per request: a clinician's whole day in one page, small enough to answer at once. */
export const DUE_LIST_PAGE_SIZE = 50;

/**
 * The due list's requests for the filters in its URL: the first page and the counts. In the main
 * bundle (not the clinician pages' chunk), so that a first load of /due can start them while the
 * session is checked and the page's code arrives (App).
 */
export function dueListQueries(params: URLSearchParams, user: Pick<SessionUser, 'clinicianId'>) {
  const clinicianId = clinicianOfParam(params.get('clinician'), user);
  const kind = params.get('kind') ?? '';
  const state = params.get('state') ?? 'open';
  return { clinicianId, kind, state, list: { clinicianId, kind, state, limit: DUE_LIST_PAGE_SIZE }, counts: { clinicianId, kind } };
}
