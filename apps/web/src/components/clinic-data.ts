/**
 * What the clinician's and the admin's pages read about the clinic itself: its settings (its
 * zone above all: times on those pages are shown in it), its clinicians and its procedure types.
 * (The front desk's pages share one cached catalogue of the same: `useCatalog` in desk.ts.)
 */
import { useCallback } from 'react';
import type { ClinicianResource, ClinicSettingsResource, ProcedureTypeResource } from '@aftercare/contracts';
import { humanize } from '../format';
import { useApi } from '../hooks';

/** The clinic (its zone above all): every time on these pages is shown in it. */
export function useClinic() {
  return useApi<ClinicSettingsResource>('/api/clinic');
}

/** The active clinicians (GET /api/clinicians lists no others). */
export function useClinicians() {
  return useApi<ClinicianResource[]>('/api/clinicians');
}

/** The procedure types, and the name of one by its code (the code, made readable, until they load). */
export function useProcedureTypes() {
  const types = useApi<ProcedureTypeResource[]>('/api/procedure-types');
  const { data } = types;
  const nameOf = useCallback((code: string) => data?.find((t) => t.code === code)?.name ?? humanize(code), [data]);
  return { ...types, nameOf };
}
