import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { AppointmentResource as Appointment, AppointmentStatus, PatientResource as Patient } from '@aftercare/contracts';
import { api, itemsOf } from '../../api';
import { serverNow, todayIn } from '../../clock';
import { ActionDialog } from '../../components/ActionDialog';
import { useClinic, useClinicians, useProcedureTypes } from '../../components/clinic-data';
import { APPOINTMENT_TONES } from '../../components/clinical';
import { ClinicianFilter, clinicianOfParam } from '../../components/ClinicianFilter';
import { errorAt } from '../../components/form-errors';
import { localDayBounds } from '../../components/local-time';
import { Badge, Button, DataTable, Empty, ErrorBanner, FormButtons, Loading, Notice, PageHeader, TextAreaField, TextField } from '../../components/ui';
import { APPOINTMENT_STATUS_NAMES, fullName } from '../../components/words';
import { formatTime, humanize } from '../../format';
import { useAction, useApi, useDraft } from '../../hooks';
import { useUser } from '../../session';

/**
 * A clinician's day of procedures, to mark each one completed with its site and notes: that
 * starts the patient's care plan (scheduling emits procedure.completed). The server allows it
 * once the appointment has started, while it is booked, confirmed or checked in.
 */

const OPEN: readonly AppointmentStatus[] = ['booked', 'confirmed', 'checked_in'];

type AppointmentList = Appointment[] | { items: Appointment[] };

export function ProceduresPage() {
  const user = useUser();
  const clinic = useClinic();
  const timeZone = clinic.data?.timezone;
  const clinicians = useClinicians();
  const types = useProcedureTypes();
  const [params, setParams] = useSearchParams();
  const day = params.get('day') ?? (timeZone ? todayIn(timeZone) : '');
  const clinicianId = clinicianOfParam(params.get('clinician'), user);
  const validDay = /^\d{4}-\d{2}-\d{2}$/.test(day);
  const bounds = timeZone && validDay ? localDayBounds(day, timeZone) : null;
  const list = useApi<AppointmentList>(bounds ? '/api/appointments' : null, bounds ? { clinicianId, from: bounds.from, to: bounds.to } : undefined);
  const appointments = itemsOf(list.data);
  const names = usePatientNames(appointments.map((a) => a.patientId));
  const [completing, setCompleting] = useState<Appointment | null>(null);
  const [completed, setCompleted] = useState<{ id: string; message: string } | null>(null);

  function setParam(name: 'day' | 'clinician', value: string) {
    const next = new URLSearchParams(params);
    next.set(name, value);
    setParams(next, { replace: true });
  }

  const typeName = types.nameOf;
  const clinicianName = (id: string) => clinicians.data?.find((c) => c.id === id)?.name ?? '';
  const now = serverNow();

  return (
    <>
      <PageHeader title="Procedures" />
      <div className="row card" role="search" aria-label="Filters">
        <TextField label="Day" type="date" required value={day} onChange={(e) => e.target.value && setParam('day', e.target.value)} />
        <ClinicianFilter value={clinicianId} clinicians={clinicians.data} user={user} onChange={(value) => setParam('clinician', value)} />
      </div>
      {completed ? <Notice>{completed.message}</Notice> : null}
      <ErrorBanner error={clinic.error} onRetry={clinic.reload} />
      <ErrorBanner error={list.error} onRetry={list.reload} />
      {!validDay && timeZone ? <ErrorBanner error="Day must be a date such as 2026-12-24." /> : null}
      {list.loading && !list.data ? (
        <Loading label="Loading the day's appointments…" />
      ) : list.data && appointments.length === 0 ? (
        <Empty title="No appointments on this day.">Choose another day{clinicianId ? ' or “All clinicians”' : ''} above; the front desk books procedures from the Book page.</Empty>
      ) : appointments.length > 0 ? (
        <DataTable
          caption={
            <>
              Appointments on {day}, in the clinic's time ({timeZone})
            </>
          }
          columns={['Time', 'Patient', 'Procedure', ...(clinicianId ? [] : ['Clinician']), 'Status', 'Action']}
          items={appointments}
          row={(a) => (
            <tr key={a.id}>
              <td>
                {formatTime(a.startsAt, timeZone)}–{formatTime(a.endsAt, timeZone)}
              </td>
              <td>
                <Link to={`/patients/${a.patientId}`}>{names[a.patientId] ?? 'Patient'}</Link>
              </td>
              <td>{typeName(a.procedureType)}</td>
              {clinicianId ? null : <td>{clinicianName(a.clinicianId)}</td>}
              <td>
                <Badge tone={APPOINTMENT_TONES[a.status]}>{APPOINTMENT_STATUS_NAMES[a.status] ?? humanize(a.status)}</Badge>
                {a.status === 'completed' && a.site ? <div className="muted">{a.site}</div> : null}
              </td>
              <td>
                {OPEN.includes(a.status) ? (
                  <>
                    <Button variant="secondary" onClick={() => setCompleting(a)}>
                      Complete procedure
                    </Button>
                    {Date.parse(a.startsAt) > now.getTime() ? <div className="muted">Can be completed once it has started.</div> : null}
                  </>
                ) : a.status === 'completed' && completed?.id === a.id ? (
                  <span>The care plan starts now.</span>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          )}
        />
      ) : null}
      {completing ? (
        <CompleteProcedureDialog
          appointment={completing}
          title={`Complete procedure: ${names[completing.patientId] ?? 'patient'}, ${formatTime(completing.startsAt, timeZone)}`}
          onClose={() => setCompleting(null)}
          onDone={(message) => {
            setCompleted({ id: completing.id, message });
            setCompleting(null);
            list.reload();
          }}
        />
      ) : null}
    </>
  );
}

function CompleteProcedureDialog({ appointment, title, onClose, onDone }: { appointment: Appointment; title: string; onClose: () => void; onDone: (message: string) => void }) {
  // Kept while typed: a session that ends mid-form loses nothing.
  const [draft, update, clear] = useDraft(`procedure.${appointment.id}.complete`, { site: appointment.site ?? '', notes: appointment.notes ?? '' });
  const { run, pending, error } = useAction(() =>
    api<Appointment>(`/api/appointments/${appointment.id}/complete`, {
      method: 'POST',
      body: { site: draft.site.trim() || null, notes: draft.notes.trim() || null },
    }),
  );
  async function submit() {
    const result = await run();
    if (!result) return;
    clear();
    onDone(`Procedure completed${result.site ? ` (${result.site})` : ''}. The care plan starts: its messages and check-ins are scheduled from the protocol.`);
  }
  const siteError = errorAt(error, 'site');
  const notesError = errorAt(error, 'notes');
  return (
    <ActionDialog title={title} onClose={onClose} onSubmit={submit}>
      <ErrorBanner error={siteError || notesError ? null : error} />
      <TextField label="Site" value={draft.site} maxLength={200} onChange={(e) => update({ site: e.target.value })} hint="Where the injection went, e.g. left knee" error={siteError} autoFocus />
      <TextAreaField label="Notes" value={draft.notes} maxLength={2000} onChange={(e) => update({ notes: e.target.value })} error={notesError} />
      <FormButtons submit="Mark completed" busy={pending} onCancel={onClose} cancel="Close" className="page-actions" />
    </ActionDialog>
  );
}

/** The names of the day's patients (the appointment list carries ids only), asked once each. */
function usePatientNames(ids: string[]): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const missing = [...new Set(ids)].filter((id) => !(id in names)).sort();
  const key = missing.join(',');
  useEffect(() => {
    if (!key) return;
    let stopped = false;
    void Promise.all(
      key.split(',').map((id) =>
        api<Patient>(`/api/patients/${id}`)
          .then((p) => [id, fullName(p)] as const)
          .catch(() => [id, 'Patient (name unavailable)'] as const),
      ),
    ).then((pairs) => {
      if (!stopped) setNames((current) => ({ ...current, ...Object.fromEntries(pairs) }));
    });
    return () => {
      stopped = true;
    };
  }, [key]);
  return names;
}
