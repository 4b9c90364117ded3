import { useEffect, useState, type FormEvent } from 'react';
import { api, describeError } from '../../api';
import { serverNow } from '../../clock';
import type { ClinicianDetail, ClinicianSummary, TimeOff } from '../../components/admin';
import { ConflictNotice, conflictsOf, Section, TableWrap, WeeklyHoursFields } from '../../components/AdminBits';
import { splitFieldErrors } from '../../components/form-errors';
import { wallTimeToIso } from '../../components/local-time';
import { Button, CheckboxField, Empty, ErrorBanner, Loading, Notice, SelectField, TextField } from '../../components/ui';
import { formatDayHours, hoursToText, parseWeeklyHours, WEEKDAYS, WEEKDAYS_NINE_TO_FIVE, type Weekday, type WeeklyHoursText } from '../../components/weekly-hours';
import { formatDateTime } from '../../format';
import { useAction, useApi } from '../../hooks';

/**
 * Clinicians with their working hours, and their time off. GET /api/clinicians names the active
 * clinicians only; each one's hours come from GET /api/clinicians/:id, asked side by side (a
 * clinic has a handful).
 */

function useClinicianDetails(list: readonly ClinicianSummary[] | undefined) {
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
        if (e instanceof DOMException && e.name === 'AbortError') return;
        setError(describeError(e));
      });
    return () => controller.abort();
    // ids stands for the list
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ids, tick]);
  return { details, error, reload: () => setTick((t) => t + 1) };
}

export function CliniciansSection() {
  const clinicians = useApi<ClinicianSummary[]>('/api/clinicians');
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
      <ErrorBanner error={clinicians.error} onRetry={clinicians.reload} />
      <ErrorBanner error={error} onRetry={reload} />
      {clinicians.loading && !clinicians.data ? <Loading /> : null}
      {clinicians.data && clinicians.data.length === 0 ? <Empty title="No active clinicians.">Add one with the form below; then patients can be booked with them.</Empty> : null}
      {clinicians.data && clinicians.data.length > 0 ? (
        <TableWrap label="Clinicians and working hours">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                {WEEKDAYS.map((d) => (
                  <th scope="col" key={d.day}>
                    <abbr title={d.name}>{d.short}</abbr>
                  </th>
                ))}
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {clinicians.data.map((c) => {
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
              })}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
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
  const [hours, setHours] = useState<WeeklyHoursText>(() => (clinician ? hoursToText(clinician.weeklyHours) : WEEKDAYS_NINE_TO_FIVE));
  const [hourErrors, setHourErrors] = useState<Partial<Record<Weekday, string>>>({});
  const save = useAction(async (weeklyHours: object) => {
    const body = { name, email: email.trim() || null, weeklyHours, ...(clinician ? { active } : {}) };
    const answer = clinician
      ? await api<ClinicianDetail>(`/api/clinicians/${clinician.id}`, { method: 'PATCH', body })
      : await api<ClinicianDetail>('/api/clinicians', { method: 'POST', body });
    if (!clinician) {
      setName('');
      setEmail('');
      setHours(WEEKDAYS_NINE_TO_FIVE);
    }
    onSaved(answer, conflictsOf(answer));
  });
  const errors = splitFieldErrors(save.error, ['name', 'email', 'weeklyHours', 'active'] as const);
  const titleId = clinician ? `edit-clinician-${clinician.id}` : 'add-clinician';

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseWeeklyHours(hours);
    setHourErrors(parsed.ok ? {} : parsed.errors);
    if (parsed.ok) void save.run(parsed.value);
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <h3 id={titleId} style={{ marginTop: 0 }}>
        {clinician ? `Edit ${clinician.name}` : 'Add a clinician'}
      </h3>
      <ErrorBanner error={errors.rest} />
      <div className="row">
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} required autoComplete="off" />
        <TextField label="E-mail" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.fields.email} hint="Optional: for attention alerts." autoComplete="off" />
      </div>
      <WeeklyHoursFields what="Working hours" value={hours} onChange={(day, text) => setHours((h) => ({ ...h, [day]: text }))} errors={hourErrors} />
      <ErrorBanner error={errors.fields.weeklyHours} />
      {clinician ? (
        <>
          <CheckboxField label="Active: can be booked" checked={active} onChange={(e) => setActive(e.target.checked)} />
          {!active ? <p className="hint">An inactive clinician leaves the booking lists; appointments already booked with them stay and are listed after saving.</p> : null}
          {errors.fields.active ? <p className="field-error">{errors.fields.active}</p> : null}
        </>
      ) : null}
      <div className="row">
        <Button type="submit" busy={save.pending}>
          {save.pending ? 'Saving…' : clinician ? 'Save clinician' : 'Add clinician'}
        </Button>
        {onCancel ? (
          <Button variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
        ) : null}
      </div>
    </form>
  );
}

export function TimeOffSection({ timeZone }: { timeZone: string }) {
  // Fixed at first render: a query that changed on every render would load for ever.
  const [from] = useState(() => serverNow().toISOString());
  const timeOff = useApi<TimeOff[]>('/api/time-off', { from });
  const clinicians = useApi<ClinicianSummary[]>('/api/clinicians');
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
      <ErrorBanner error={timeOff.error} onRetry={timeOff.reload} />
      {timeOff.loading && !timeOff.data ? <Loading /> : null}
      {timeOff.data && timeOff.data.length === 0 ? <Empty title="No time off ahead.">Add a clinician's leave with the form below: they cannot be booked then.</Empty> : null}
      {timeOff.data && timeOff.data.length > 0 ? (
        <TableWrap label="Time off ahead">
          <table>
            <thead>
              <tr>
                <th scope="col">Clinician</th>
                <th scope="col">From</th>
                <th scope="col">Until</th>
                <th scope="col">Reason</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {timeOff.data.map((t) => (
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
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
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

function AddTimeOffForm({ timeZone, clinicians, onAdded }: { timeZone: string; clinicians: readonly ClinicianSummary[]; onAdded: (conflicts?: string[]) => void }) {
  const [form, setForm] = useState({ clinicianId: '', startsAt: '', endsAt: '', reason: '' });
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const add = useAction(async (body: object) => {
    const answer = await api<TimeOff>('/api/time-off', { method: 'POST', body });
    setForm((f) => ({ ...f, startsAt: '', endsAt: '', reason: '' }));
    onAdded(conflictsOf(answer));
  });
  const errors = splitFieldErrors(add.error, ['clinicianId', 'startsAt', 'endsAt', 'reason'] as const);

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
    <form className="card" onSubmit={submit} noValidate aria-labelledby="add-time-off-title">
      <h3 id="add-time-off-title" style={{ marginTop: 0 }}>
        Add time off
      </h3>
      <ErrorBanner error={errors.rest} />
      <div className="row">
        <SelectField label="Clinician" value={form.clinicianId} onChange={(e) => set({ clinicianId: e.target.value })} error={errors.fields.clinicianId} required>
          <option value="">Choose a clinician</option>
          {clinicians.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </SelectField>
        <TextField label="From" type="datetime-local" value={form.startsAt} onChange={(e) => set({ startsAt: e.target.value })} error={errors.fields.startsAt} hint={`Clinic time (${timeZone}).`} required />
        <TextField label="Until" type="datetime-local" value={form.endsAt} onChange={(e) => set({ endsAt: e.target.value })} error={errors.fields.endsAt} hint={`Clinic time (${timeZone}).`} required />
        <TextField label="Reason" value={form.reason} onChange={(e) => set({ reason: e.target.value })} error={errors.fields.reason} hint="Optional." />
      </div>
      <Button type="submit" busy={add.pending}>
        {add.pending ? 'Adding…' : 'Add time off'}
      </Button>
    </form>
  );
}

