import { useState, type FormEvent } from 'react';
import { api } from '../../api';
import { serverNow } from '../../clock';
import type { ClinicSettings, Closure } from '../../components/admin';
import { ConflictNotice, conflictsOf, Section, TableWrap, useClinicSettings, WeeklyHoursFields } from '../../components/AdminBits';
import { numberOrText } from '../../components/clinic-setup';
import { splitFieldErrors } from '../../components/form-errors';
import { isoToWallTime, wallTimeToIso } from '../../components/local-time';
import { Button, Empty, ErrorBanner, Loading, Notice, PageHeader, SelectField, TextField } from '../../components/ui';
import { hoursToText, parseWeeklyHours, type Weekday, type WeeklyHoursText } from '../../components/weekly-hours';
import { formatDate, formatDateTime } from '../../format';
import { useAction, useApi } from '../../hooks';
import { CliniciansSection, TimeOffSection } from './ClinicStaff';
import { ProcedureTypesSection, ResourcesSection } from './ClinicFacilities';

/**
 * The clinic's setup, one section each: settings and opening hours, closures, clinicians and
 * their hours, time off, rooms and equipment, procedure types. Every time here is the clinic's
 * (its zone, from GET /api/clinic), whatever the browser's zone.
 */
export function ClinicPage() {
  const clinic = useClinicSettings();
  const timeZone = clinic.data?.timezone;
  return (
    <>
      <PageHeader title="Clinic setup" />
      <nav aria-label="Sections of this page" className="card" style={{ padding: '0.5rem 1rem' }}>
        <ul className="row" style={{ listStyle: 'none', margin: 0, padding: 0, gap: '1rem' }}>
          {SECTIONS.map(([id, label]) => (
            <li key={id}>
              <a href={`#${id}`}>{label}</a>
            </li>
          ))}
        </ul>
      </nav>
      {clinic.loading && !clinic.data ? <Loading /> : null}
      <ErrorBanner error={clinic.error} onRetry={clinic.reload} />
      {clinic.data && timeZone ? (
        <>
          <Section title="Settings and opening hours" id="settings">
            <SettingsForm clinic={clinic.data} onSaved={clinic.reload} />
          </Section>
          <ClosuresSection timeZone={timeZone} />
          <CliniciansSection />
          <TimeOffSection timeZone={timeZone} />
          <ResourcesSection />
          <ProcedureTypesSection />
        </>
      ) : null}
    </>
  );
}

const SECTIONS = [
  ['settings', 'Settings'],
  ['closures', 'Closures'],
  ['clinicians', 'Clinicians'],
  ['time-off', 'Time off'],
  ['resources', 'Rooms and equipment'],
  ['procedure-types', 'Procedure types'],
] as const;

/** Every IANA zone the browser knows (with the clinic's own, should the browser not list it). */
function timeZones(current: string): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return all.includes(current) ? all : [current, ...all];
}

function SettingsForm({ clinic, onSaved }: { clinic: ClinicSettings; onSaved: () => void }) {
  const [form, setForm] = useState({
    name: clinic.name,
    phone: clinic.phone,
    email: clinic.email ?? '',
    timezone: clinic.timezone,
    gridMinutes: String(clinic.gridMinutes),
  });
  const [hours, setHours] = useState<WeeklyHoursText>(() => hoursToText(clinic.openingHours));
  const [hourErrors, setHourErrors] = useState<Partial<Record<Weekday, string>>>({});
  const [done, setDone] = useState(false);
  const save = useAction(async (openingHours: object) => {
    await api<ClinicSettings>('/api/clinic', {
      method: 'PATCH',
      body: { name: form.name, phone: form.phone.trim(), email: form.email.trim() || null, timezone: form.timezone, gridMinutes: numberOrText(form.gridMinutes), openingHours },
    });
    setDone(true);
    onSaved();
  });
  const errors = splitFieldErrors(save.error, ['name', 'phone', 'email', 'timezone', 'gridMinutes', 'openingHours'] as const);
  const set = (patch: Partial<typeof form>) => {
    setForm((f) => ({ ...f, ...patch }));
    setDone(false);
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseWeeklyHours(hours);
    setHourErrors(parsed.ok ? {} : parsed.errors);
    if (parsed.ok) void save.run(parsed.value);
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Clinic settings">
      {done ? <Notice>The clinic's settings are saved.</Notice> : null}
      <ErrorBanner error={errors.rest} />
      <div className="row">
        <TextField label="Clinic name" value={form.name} onChange={(e) => set({ name: e.target.value })} error={errors.fields.name} required hint="Messages to patients name the clinic." />
        <TextField label="Phone" type="tel" value={form.phone} onChange={(e) => set({ phone: e.target.value })} error={errors.fields.phone} hint="In international form, such as +15551234567." />
        <TextField label="E-mail" type="email" value={form.email} onChange={(e) => set({ email: e.target.value })} error={errors.fields.email} hint="Optional." />
      </div>
      <div className="row">
        <SelectField
          label="Time zone"
          value={form.timezone}
          onChange={(e) => set({ timezone: e.target.value })}
          error={errors.fields.timezone}
          hint="Opening hours, working hours and the day sheet are in this zone."
        >
          {timeZones(clinic.timezone).map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Slot grid (minutes)"
          inputMode="numeric"
          value={form.gridMinutes}
          onChange={(e) => set({ gridMinutes: e.target.value })}
          error={errors.fields.gridMinutes}
          hint="Appointments start on multiples of this after midnight (5–120)."
        />
      </div>
      <WeeklyHoursFields
        what="Opening hours"
        value={hours}
        onChange={(day, text) => {
          setHours((h) => ({ ...h, [day]: text }));
          setDone(false);
        }}
        errors={hourErrors}
      />
      <ErrorBanner error={errors.fields.openingHours} />
      <Button type="submit" busy={save.pending}>
        {save.pending ? 'Saving…' : 'Save settings'}
      </Button>
    </form>
  );
}

/** A closure of whole local days (midnight to midnight): shown as its days, not as times. */
function closureWhen(closure: Closure, timeZone: string): string {
  const start = isoToWallTime(closure.startsAt, timeZone);
  const end = isoToWallTime(closure.endsAt, timeZone);
  if (start.endsWith('T00:00') && end.endsWith('T00:00')) {
    const lastDay = new Date(Date.parse(closure.endsAt) - 12 * 3_600_000).toISOString();
    const first = formatDate(closure.startsAt, timeZone);
    const last = formatDate(lastDay, timeZone);
    return first === last ? `${first} (all day)` : `${first} – ${last} (all days)`;
  }
  return `${formatDateTime(closure.startsAt, timeZone)} – ${formatDateTime(closure.endsAt, timeZone)}`;
}

function ClosuresSection({ timeZone }: { timeZone: string }) {
  // Fixed at first render: a query that changed on every render would load for ever.
  const [from] = useState(() => serverNow().toISOString());
  const closures = useApi<Closure[]>('/api/clinic/closures', { from });
  const [done, setDone] = useState<{ message: string; conflicts?: string[] } | null>(null);
  const remove = useAction(async (closure: Closure) => {
    await api(`/api/clinic/closures/${closure.id}`, { method: 'DELETE' });
    setDone({ message: `The closure “${closure.reason}” is deleted; those times can be booked again.` });
    closures.reload();
  });
  return (
    <Section title="Closures and holidays" id="closures">
      {done ? <Notice>{done.message}</Notice> : null}
      <ConflictNotice ids={done?.conflicts} where="in this closure" />
      <ErrorBanner error={remove.error} />
      <ErrorBanner error={closures.error} onRetry={closures.reload} />
      {closures.loading && !closures.data ? <Loading /> : null}
      {closures.data && closures.data.length === 0 ? <Empty title="No closures ahead.">Add a holiday or a closure with the form below.</Empty> : null}
      {closures.data && closures.data.length > 0 ? (
        <TableWrap label="Closures ahead">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Reason</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {closures.data.map((c) => (
                <tr key={c.id}>
                  <td>{closureWhen(c, timeZone)}</td>
                  <td>{c.reason}</td>
                  <td>
                    <Button variant="secondary" busy={remove.pending} onClick={() => void remove.run(c)}>
                      Delete
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <AddClosureForm
        timeZone={timeZone}
        onAdded={(closure, conflicts) => {
          setDone({ message: `The closure “${closure.reason}” is added: no new bookings in it.`, conflicts });
          closures.reload();
        }}
      />
    </Section>
  );
}

function AddClosureForm({ timeZone, onAdded }: { timeZone: string; onAdded: (closure: Closure, conflicts?: string[]) => void }) {
  const [form, setForm] = useState({ mode: 'days' as 'days' | 'times', date: '', throughDate: '', startsAt: '', endsAt: '', reason: '' });
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const add = useAction(async (body: object) => {
    const answer = await api<Closure>('/api/clinic/closures', { method: 'POST', body });
    setForm((f) => ({ ...f, date: '', throughDate: '', startsAt: '', endsAt: '', reason: '' }));
    onAdded(answer, conflictsOf(answer));
  });
  const errors = splitFieldErrors(add.error, ['date', 'throughDate', 'startsAt', 'endsAt', 'reason'] as const);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (form.mode === 'days') {
      if (!form.date) return add.setError('date: choose the first day of the closure');
      void add.run({ date: form.date, ...(form.throughDate ? { throughDate: form.throughDate } : {}), reason: form.reason });
    } else {
      const startsAt = wallTimeToIso(form.startsAt, timeZone);
      const endsAt = wallTimeToIso(form.endsAt, timeZone);
      if (!startsAt) return add.setError('startsAt: choose when the closure starts');
      if (!endsAt) return add.setError('endsAt: choose when the closure ends');
      void add.run({ startsAt, endsAt, reason: form.reason });
    }
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="add-closure-title">
      <h3 id="add-closure-title" style={{ marginTop: 0 }}>
        Add a closure
      </h3>
      <ErrorBanner error={errors.rest} />
      <div className="row">
        <SelectField label="Closed for" value={form.mode} onChange={(e) => set({ mode: e.target.value as 'days' | 'times' })}>
          <option value="days">Whole days (a holiday)</option>
          <option value="times">Part of a day</option>
        </SelectField>
        {form.mode === 'days' ? (
          <>
            <TextField label="First day" type="date" value={form.date} onChange={(e) => set({ date: e.target.value })} error={errors.fields.date} required />
            <TextField label="Last day" type="date" value={form.throughDate} onChange={(e) => set({ throughDate: e.target.value })} error={errors.fields.throughDate} hint="Leave empty for one day." />
          </>
        ) : (
          <>
            <TextField label="From" type="datetime-local" value={form.startsAt} onChange={(e) => set({ startsAt: e.target.value })} error={errors.fields.startsAt} hint={`Clinic time (${timeZone}).`} required />
            <TextField label="Until" type="datetime-local" value={form.endsAt} onChange={(e) => set({ endsAt: e.target.value })} error={errors.fields.endsAt} hint={`Clinic time (${timeZone}).`} required />
          </>
        )}
        <TextField label="Reason" value={form.reason} onChange={(e) => set({ reason: e.target.value })} error={errors.fields.reason} required hint="Staff see it on the day sheet." />
      </div>
      <Button type="submit" busy={add.pending}>
        {add.pending ? 'Adding…' : 'Add closure'}
      </Button>
    </form>
  );
}
