import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api';
import { serverNow, todayIn } from '../../clock';
import { ActionDialog } from '../../components/ActionDialog';
import {
  APPOINTMENT_NAMES,
  APPOINTMENT_TONES,
  localDayBounds,
  useClinic,
  useClinicians,
  type Appointment,
  type AppointmentStatus,
  type Patient,
} from '../../components/clinical';
import { Badge, Button, Empty, ErrorBanner, Loading, Notice, PageHeader, SelectField, TextAreaField, TextField } from '../../components/ui';
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
  const types = useApi<{ code: string; name: string }[]>('/api/procedure-types');
  const [params, setParams] = useSearchParams();
  const day = params.get('day') ?? (timeZone ? todayIn(timeZone) : '');
  const clinicianParam = params.get('clinician');
  const clinicianId = clinicianParam === null ? (user.clinicianId ?? '') : clinicianParam === 'all' ? '' : clinicianParam;
  const validDay = /^\d{4}-\d{2}-\d{2}$/.test(day);
  const bounds = timeZone && validDay ? localDayBounds(day, timeZone) : null;
  const list = useApi<AppointmentList>(bounds ? '/api/appointments' : null, bounds ? { clinicianId, from: bounds.from, to: bounds.to } : undefined);
  const appointments = list.data ? (Array.isArray(list.data) ? list.data : list.data.items) : [];
  const names = usePatientNames(appointments.map((a) => a.patientId));
  const [completing, setCompleting] = useState<Appointment | null>(null);
  const [completed, setCompleted] = useState<{ id: string; message: string } | null>(null);

  function setParam(name: 'day' | 'clinician', value: string) {
    const next = new URLSearchParams(params);
    next.set(name, value);
    setParams(next, { replace: true });
  }

  const typeName = (code: string) => types.data?.find((t) => t.code === code)?.name ?? humanize(code);
  const clinicianName = (id: string) => clinicians.data?.find((c) => c.id === id)?.name ?? '';
  const now = serverNow();

  return (
    <>
      <PageHeader title="Procedures" />
      <div className="row card" role="search" aria-label="Filters">
        <TextField label="Day" type="date" required value={day} onChange={(e) => e.target.value && setParam('day', e.target.value)} />
        <SelectField label="Clinician" value={clinicianId || 'all'} onChange={(e) => setParam('clinician', e.target.value)}>
          <option value="all">All clinicians</option>
          {clinicians.data?.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
              {c.id === user.clinicianId ? ' (you)' : ''}
            </option>
          ))}
          {clinicianId && !clinicians.data?.some((c) => c.id === clinicianId) ? <option value={clinicianId}>{clinicianId === user.clinicianId ? 'You' : 'Chosen clinician'}</option> : null}
        </SelectField>
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
        <div className="table-wrap">
          <table>
            <caption className="muted" style={{ textAlign: 'left', padding: '0.4rem 0.6rem' }}>
              Appointments on {day}, in the clinic's time ({timeZone})
            </caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Patient</th>
                <th scope="col">Procedure</th>
                {clinicianId ? null : <th scope="col">Clinician</th>}
                <th scope="col">Status</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {appointments.map((a) => (
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
                    <Badge tone={APPOINTMENT_TONES[a.status]}>{APPOINTMENT_NAMES[a.status] ?? humanize(a.status)}</Badge>
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
              ))}
            </tbody>
          </table>
        </div>
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
  const siteError = error && /^site\b/i.test(error) ? error : null;
  const notesError = error && /^notes\b/i.test(error) ? error : null;
  return (
    <ActionDialog title={title} onClose={onClose} onSubmit={submit}>
      <ErrorBanner error={siteError || notesError ? null : error} />
      <TextField label="Site" value={draft.site} maxLength={200} onChange={(e) => update({ site: e.target.value })} hint="Where the injection went, e.g. left knee" error={siteError} autoFocus />
      <TextAreaField label="Notes" value={draft.notes} maxLength={2000} onChange={(e) => update({ notes: e.target.value })} error={notesError} />
      <div className="page-actions">
        <Button type="submit" busy={pending}>
          Mark completed
        </Button>
        <Button variant="secondary" onClick={onClose}>
          Close
        </Button>
      </div>
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
          .then((p) => [id, `${p.firstName} ${p.lastName}`] as const)
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
