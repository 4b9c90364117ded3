import { useEffect, useState, type FormEvent } from 'react';
import type { ClinicianDetailResource as ClinicianDetail, ClinicianResource, TimeOffResource as TimeOff } from '@aftercare/contracts';
import { api, describeError, isAborted } from '../../api';
import { serverNow } from '../../clock';
import { ConflictNotice, conflictsOf, Section, useWeeklyHours, WeeklyHoursFields } from '../../components/AdminBits';
import { useClinicians } from '../../components/clinic-data';
import { splitFieldErrors } from '../../components/form-errors';
import { wallTimeToIso } from '../../components/local-time';
import { bindFields, Button, Card, CheckboxField, Empty, ErrorBanner, FormButtons, LoadedTable, Notice, Options, SelectField, TextField } from '../../components/ui';
import { formatDayHours, hoursToText, WEEKDAYS, WEEKDAYS_NINE_TO_FIVE } from '../../components/weekly-hours';
import { formatDateTime } from '../../format';
import { useAction, useApi } from '../../hooks';

/**
 * Clinicians with their working hours, and their time off. GET /api/clinicians names the active
 * clinicians only; each one's hours come from GET /api/clinicians/:id, asked side by side (a
 * clinic has a handful).
 */

function useClinicianDetails(list: readonly ClinicianResource[] | undefined) {
  const [details, setDetails] = useState<Record<string, ClinicianDetail>>({});
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const ids = list?.map((c) => c.id).join(',');
  useEffect(() => {
    if (!list) return;
    const controller = new AbortController();
    Promise.all(list.map((c) => api<ClinicianDetail>(`/api/clinicians/${c.id}`, { signal: controller.signal })))
      .then((all) => {
        setDetails(Object.fromEntries(all.map((d) => [d.id, d])));
        setError(null);
      })
      .catch((e: unknown) => {
        if (isAborted(e)) return;
        setError(describeError(e));
      });
    return () => controller.abort();
    // ids stands for the list
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ids, tick]);
  return { details, error, reload: () => setTick((t) => t + 1) };
}

export function CliniciansSection() {
  const clinicians = useClinicians();
  const { details, error, reload } = useClinicianDetails(clinicians.data);
  const [editing, setEditing] = useState<ClinicianDetail | null>(null);
  const [done, setDone] = useState<{ message: string; conflicts?: string[] } | null>(null);

  function saved(message: string, conflicts?: string[]) {
    setEditing(null);
    setDone({ message, conflicts });
    clinicians.reload();
    reload();
  }

  return (
    <Section title="Clinicians and working hours" id="clinicians">
      {done ? <Notice>{done.message}</Notice> : null}
      <ConflictNotice ids={done?.conflicts} where="outside the clinician's new hours" />
      <ErrorBanner error={error} onRetry={reload} />
      <LoadedTable
        list={clinicians}
        label="Clinicians and working hours"
        empty={<Empty title="No active clinicians.">Add one with the form below; then patients can be booked with them.</Empty>}
        columns={['Name', ...WEEKDAYS.map((d) => <abbr title={d.name}>{d.short}</abbr>), 'Actions']}
        row={(c) => {
          const detail = details[c.id];
          return (
            <tr key={c.id}>
              <td>
                {c.name}
                {detail?.email ? <div className="muted">{detail.email}</div> : null}
              </td>
              {WEEKDAYS.map(({ day }) => {
                const text = detail ? formatDayHours(detail.weeklyHours[day]) : '…';
                return <td key={day}>{text ? text.split(', ').map((t) => <div key={t}>{t.replace('-', '–')}</div>) : <span className="muted">Off</span>}</td>;
              })}
              <td>
                <Button variant="secondary" disabled={!detail} onClick={() => detail && setEditing(detail)}>
                  Edit
                </Button>
              </td>
            </tr>
          );
        }}
      />
      {editing ? (
        <ClinicianForm
          key={editing.id}
          clinician={editing}
          onCancel={() => setEditing(null)}
          onSaved={(c, conflicts) => saved(c.active ? `${c.name}'s details are saved.` : `${c.name} is no longer active: they cannot be booked and leave this list.`, conflicts)}
        />
      ) : (
        <ClinicianForm key="new" onSaved={(c) => saved(`${c.name} is added; patients can be booked with them in their working hours.`)} />
      )}
    </Section>
  );
}

/** Adds a clinician (no `clinician`), or edits one. */
function ClinicianForm({
  clinician,
  onSaved,
  onCancel,
}: {
  clinician?: ClinicianDetail;
  onSaved: (clinician: ClinicianDetail, conflicts?: string[]) => void;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(clinician?.name ?? '');
  const [email, setEmail] = useState(clinician?.email ?? '');
  const [active, setActive] = useState(clinician?.active ?? true);
  const hours = useWeeklyHours(() => (clinician ? hoursToText(clinician.weeklyHours) : WEEKDAYS_NINE_TO_FIVE));
  const save = useAction(async (weeklyHours: object) => {
    const body = { name, email: email.trim() || null, weeklyHours, ...(clinician ? { active } : {}) };
    const answer = clinician
      ? await api<ClinicianDetail>(`/api/clinicians/${clinician.id}`, { method: 'PATCH', body })
      : await api<ClinicianDetail>('/api/clinicians', { method: 'POST', body });
    if (!clinician) {
      setName('');
      setEmail('');
      hours.setText(WEEKDAYS_NINE_TO_FIVE);
    }
    onSaved(answer, conflictsOf(answer));
  });
  const errors = splitFieldErrors(save.error, ['name', 'email', 'weeklyHours', 'active'] as const);
  const titleId = clinician ? `edit-clinician-${clinician.id}` : 'add-clinician';

  function submit(event: FormEvent) {
    event.preventDefault();
    const weeklyHours = hours.check();
    if (weeklyHours) void save.run(weeklyHours);
  }

  return (
    <Card id={titleId} title={clinician ? `Edit ${clinician.name}` : 'Add a clinician'} level={3} onSubmit={submit}>
      <ErrorBanner error={errors.rest} />
      <div className="row">
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} required autoComplete="off" />
        <TextField label="E-mail" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.fields.email} hint="Optional: for attention alerts." autoComplete="off" />
      </div>
      <WeeklyHoursFields what="Working hours" value={hours.text} onChange={hours.setDay} errors={hours.errors} />
      <ErrorBanner error={errors.fields.weeklyHours} />
      {clinician ? (
        <>
          <CheckboxField label="Active: can be booked" checked={active} onChange={(e) => setActive(e.target.checked)} />
          {!active ? <p className="hint">An inactive clinician leaves the booking lists; appointments already booked with them stay and are listed after saving.</p> : null}
          {errors.fields.active ? <p className="field-error">{errors.fields.active}</p> : null}
        </>
      ) : null}
      <FormButtons submit={save.pending ? 'Saving…' : clinician ? 'Save clinician' : 'Add clinician'} busy={save.pending} onCancel={onCancel} />
    </Card>
  );
}

export function TimeOffSection({ timeZone }: { timeZone: string }) {
  // Fixed at first render: a query that changed on every render would load for ever.
  const [from] = useState(() => serverNow().toISOString());
  const timeOff = useApi<TimeOff[]>('/api/time-off', { from });
  const clinicians = useClinicians();
  const [done, setDone] = useState<{ message: string; conflicts?: string[] } | null>(null);
  const remove = useAction(async (entry: TimeOff) => {
    await api(`/api/time-off/${entry.id}`, { method: 'DELETE' });
    setDone({ message: 'The time off is deleted; those hours can be booked again.' });
    timeOff.reload();
  });
  const nameOf = (id: string) => clinicians.data?.find((c) => c.id === id)?.name ?? 'A clinician no longer active';

  return (
    <Section title="Time off" id="time-off">
      {done ? <Notice>{done.message}</Notice> : null}
      <ConflictNotice ids={done?.conflicts} where="in this time off" />
      <ErrorBanner error={remove.error} />
      <LoadedTable
        list={timeOff}
        label="Time off ahead"
        empty={<Empty title="No time off ahead.">Add a clinician's leave with the form below: they cannot be booked then.</Empty>}
        columns={['Clinician', 'From', 'Until', 'Reason', 'Actions']}
        row={(t) => (
          <tr key={t.id}>
            <td>{nameOf(t.clinicianId)}</td>
            <td>{formatDateTime(t.startsAt, timeZone)}</td>
            <td>{formatDateTime(t.endsAt, timeZone)}</td>
            <td>{t.reason ?? <span className="muted">—</span>}</td>
            <td>
              <Button variant="secondary" busy={remove.pending} onClick={() => void remove.run(t)}>
                Delete
              </Button>
            </td>
          </tr>
        )}
      />
      <AddTimeOffForm
        timeZone={timeZone}
        clinicians={clinicians.data ?? []}
        onAdded={(conflicts) => {
          setDone({ message: 'The time off is added: no new bookings with the clinician then.', conflicts });
          timeOff.reload();
        }}
      />
    </Section>
  );
}

function AddTimeOffForm({ timeZone, clinicians, onAdded }: { timeZone: string; clinicians: readonly ClinicianResource[]; onAdded: (conflicts?: string[]) => void }) {
  const [form, setForm] = useState({ clinicianId: '', startsAt: '', endsAt: '', reason: '' });
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const add = useAction(async (body: object) => {
    const answer = await api<TimeOff>('/api/time-off', { method: 'POST', body });
    setForm((f) => ({ ...f, startsAt: '', endsAt: '', reason: '' }));
    onAdded(conflictsOf(answer));
  });
  const errors = splitFieldErrors(add.error, ['clinicianId', 'startsAt', 'endsAt', 'reason'] as const);
  const field = bindFields(form, set, errors.fields);

  function submit(event: FormEvent) {
    event.preventDefault();
    const startsAt = wallTimeToIso(form.startsAt, timeZone);
    const endsAt = wallTimeToIso(form.endsAt, timeZone);
    if (!form.clinicianId) return add.setError('clinicianId: choose the clinician');
    if (!startsAt) return add.setError('startsAt: choose when the time off starts');
    if (!endsAt) return add.setError('endsAt: choose when the time off ends');
    void add.run({ clinicianId: form.clinicianId, startsAt, endsAt, reason: form.reason.trim() || null });
  }

  return (
    <Card id="add-time-off-title" title="Add time off" level={3} onSubmit={submit}>
      <ErrorBanner error={errors.rest} />
      <div className="row">
        <SelectField label="Clinician" {...field('clinicianId')} required>
          <option value="">Choose a clinician</option>
          <Options choices={clinicians.map((c) => [c.id, c.name])} />
        </SelectField>
        <TextField label="From" type="datetime-local" {...field('startsAt')} hint={`Clinic time (${timeZone}).`} required />
        <TextField label="Until" type="datetime-local" {...field('endsAt')} hint={`Clinic time (${timeZone}).`} required />
        <TextField label="Reason" {...field('reason')} hint="Optional." />
      </div>
      <Button type="submit" busy={add.pending}>
        {add.pending ? 'Adding…' : 'Add time off'}
      </Button>
    </Card>
  );
}

