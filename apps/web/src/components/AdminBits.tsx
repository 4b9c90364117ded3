import type { ReactNode } from 'react';
import { useApi } from '../hooks';
import type { ClinicSettings } from './admin';
import { Notice, TextField } from './ui';
import { WEEKDAYS, type Weekday, type WeeklyHoursText } from './weekly-hours';

/** The clinic (its zone above all): the admin pages show times in it. */
export function useClinicSettings() {
  return useApi<ClinicSettings>('/api/clinic');
}

/**
 * A table that may scroll sideways on a narrow screen: a labelled region that takes focus, so
 * that a keyboard user can scroll it too.
 */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** One part of a page: an h2 and a card. */
export function Section({ title, id, children }: { title: string; id?: string; children: ReactNode }) {
  const headingId = id ?? `section-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    // No accessible name: a named <section> is a landmark, and the tables inside are regions already.
    <section>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

/** Seven labelled fields, Monday to Sunday: "09:00-12:00, 13:00-17:00", empty for a day off. */
export function WeeklyHoursFields({
  value,
  onChange,
  errors,
  what,
}: {
  value: WeeklyHoursText;
  onChange: (day: Weekday, text: string) => void;
  errors?: Partial<Record<Weekday, string>>;
  /** "Opening hours", "Working hours": said in each field's label. */
  what: string;
}) {
  return (
    <fieldset style={{ border: 'none', padding: 0, margin: 0 }}>
      <legend style={{ fontWeight: 700, marginBottom: '0.4rem' }}>{what}</legend>
      <p className="hint" style={{ marginTop: 0 }}>
        Times in the clinic's zone, such as 09:00-12:00, 13:00-17:00. Leave a day empty for a day off.
      </p>
      <div className="row">
        {WEEKDAYS.map(({ day, name }) => (
          <TextField
            key={day}
            label={name}
            value={value[day]}
            onChange={(e) => onChange(day, e.target.value)}
            error={errors?.[day] ?? null}
            placeholder="Day off"
            autoComplete="off"
          />
        ))}
      </div>
    </fieldset>
  );
}

/** Closures, time off and hours never cancel appointments: say which collide, so they can be moved. */
export function ConflictNotice({ ids, where }: { ids: readonly string[] | undefined; where: string }) {
  if (!ids?.length) return null;
  return (
    <Notice>
      {ids.length === 1 ? '1 booked appointment falls' : `${ids.length} booked appointments fall`} {where}. They stay booked: move or cancel them
      from the day sheet.
    </Notice>
  );
}

/** Whether an answer came with collisions: the ids, or undefined. */
export function conflictsOf(answer: unknown): string[] | undefined {
  const ids = (answer as { conflictingAppointmentIds?: unknown } | undefined)?.conflictingAppointmentIds;
  return Array.isArray(ids) && ids.length ? (ids as string[]) : undefined;
}
