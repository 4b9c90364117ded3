import { useState, type FormEvent } from 'react';
import type { ClinicSettingsResource as ClinicSettings, ClosureResource as Closure } from '@aftercare/contracts';
import { api } from '../../api';
import { serverNow } from '../../clock';
import { ConflictNotice, conflictsOf, Section, useWeeklyHours, WeeklyHoursFields } from '../../components/AdminBits';
import { useClinic } from '../../components/clinic-data';
import { numberOrText } from '../../components/clinic-setup';
import { splitFieldErrors } from '../../components/form-errors';
import { isoToWallTime, wallTimeToIso } from '../../components/local-time';
import { bindFields, Button, Card, Empty, ErrorBanner, LoadedTable, Loading, Notice, Options, PageHeader, SelectField, TextField } from '../../components/ui';
import { hoursToText } from '../../components/weekly-hours';
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
  const clinic = useClinic();
  const timeZone = clinic.data?.timezone;
  return (
    <>
      <PageHeader title="Clinic setup" />
      <nav aria-label="Sections of this page" className="card" style={{ padding: '0.5rem 1rem' }}>
        <ul className="row bare-list" style={{ gap: '1rem' }}>
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
  const hours = useWeeklyHours(() => hoursToText(clinic.openingHours));
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
  const field = bindFields(form, set, errors.fields);

  function submit(event: FormEvent) {
    event.preventDefault();
    const openingHours = hours.check();
    if (openingHours) void save.run(openingHours);
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Clinic settings">
      {done ? <Notice>The clinic's settings are saved.</Notice> : null}
      <ErrorBanner error={errors.rest} />
      <div className="row">
        <TextField label="Clinic name" {...field('name')} required hint="Messages to patients name the clinic." />
        <TextField label="Phone" type="tel" {...field('phone')} hint="In international form, such as +15551234567." />
        <TextField label="E-mail" type="email" {...field('email')} hint="Optional." />
      </div>
      <div className="row">
        <SelectField label="Time zone" {...field('timezone')} hint="Opening hours, working hours and the day sheet are in this zone.">
          <Options choices={timeZones(clinic.timezone).map((z) => [z, z])} />
        </SelectField>
        <TextField label="Slot grid (minutes)" inputMode="numeric" {...field('gridMinutes')} hint="Appointments start on multiples of this after midnight (5–120)." />
      </div>
      <WeeklyHoursFields
        what="Opening hours"
        value={hours.text}
        onChange={(day, text) => {
          hours.setDay(day, text);
          setDone(false);
        }}
        errors={hours.errors}
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
      <LoadedTable
        list={closures}
        label="Closures ahead"
        empty={<Empty title="No closures ahead.">Add a holiday or a closure with the form below.</Empty>}
        columns={['When', 'Reason', 'Actions']}
        row={(c) => (
          <tr key={c.id}>
            <td>{closureWhen(c, timeZone)}</td>
            <td>{c.reason}</td>
            <td>
              <Button variant="secondary" busy={remove.pending} onClick={() => void remove.run(c)}>
                Delete
              </Button>
            </td>
          </tr>
        )}
      />
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
  const field = bindFields(form, set, errors.fields);

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
    <Card id="add-closure-title" title="Add a closure" level={3} onSubmit={submit}>
      <ErrorBanner error={errors.rest} />
      <div className="row">
        <SelectField label="Closed for" {...field('mode')}>
          <option value="days">Whole days (a holiday)</option>
          <option value="times">Part of a day</option>
        </SelectField>
        {form.mode === 'days' ? (
          <>
            <TextField label="First day" type="date" {...field('date')} required />
            <TextField label="Last day" type="date" {...field('throughDate')} hint="Leave empty for one day." />
          </>
        ) : (
          <>
            <TextField label="From" type="datetime-local" {...field('startsAt')} hint={`Clinic time (${timeZone}).`} required />
            <TextField label="Until" type="datetime-local" {...field('endsAt')} hint={`Clinic time (${timeZone}).`} required />
          </>
        )}
        <TextField label="Reason" {...field('reason')} required hint="Staff see it on the day sheet." />
      </div>
      <Button type="submit" busy={add.pending}>
        {add.pending ? 'Adding…' : 'Add closure'}
      </Button>
    </Card>
  );
}
