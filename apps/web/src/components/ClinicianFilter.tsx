import type { ClinicianResource } from '@aftercare/contracts';
import type { SessionUser } from '../api';
import { Options, SelectField } from './ui';

/**
 * The clinician a list is for, from the address (?clinician=): a clinician starts on their own
 * list, an admin (no clinician of their own) on everyone's; 'all' is everyone's. '' for everyone.
 */
export function clinicianOfParam(param: string | null, user: Pick<SessionUser, 'clinicianId'>): string {
  if (param === null) return user.clinicianId ?? '';
  return param === 'all' ? '' : param;
}

/** Chooses the clinician a list is for; the signed-in clinician is marked "(you)". */
export function ClinicianFilter({
  value,
  clinicians,
  user,
  onChange,
}: {
  /** '' for all clinicians. */
  value: string;
  clinicians: readonly ClinicianResource[] | undefined;
  user: Pick<SessionUser, 'clinicianId'>;
  /** A clinician's id, or 'all'. */
  onChange: (value: string) => void;
}) {
  return (
    <SelectField label="Clinician" value={value || 'all'} onChange={(e) => onChange(e.target.value)}>
      <option value="all">All clinicians</option>
      <Options choices={clinicians?.map((c) => [c.id, c.id === user.clinicianId ? `${c.name} (you)` : c.name])} />
      {/* Until the names arrive, the chosen clinician still shows. */}
      {value && !clinicians?.some((c) => c.id === value) ? <option value={value}>{value === user.clinicianId ? 'You' : 'Chosen clinician'}</option> : null}
    </SelectField>
  );
}
