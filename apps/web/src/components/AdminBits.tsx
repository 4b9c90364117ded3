import { useState, type ReactNode } from 'react';
import { Notice, TextField } from './ui';
import { parseWeeklyHours, WEEKDAYS, type Weekday, type WeeklyHours, type WeeklyHoursText } from './weekly-hours';

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

/**
 * Weekly hours as typed in WeeklyHoursFields. `check()` answers the hours the API takes, or null
 * with each day's problem shown at its field.
 */
export function useWeeklyHours(initial: () => WeeklyHoursText) {
  const [text, setText] = useState<WeeklyHoursText>(initial);
  const [errors, setErrors] = useState<Partial<Record<Weekday, string>>>({});
  const setDay = (day: Weekday, value: string) => setText((current) => ({ ...current, [day]: value }));
  function check(): WeeklyHours | null {
    const parsed = parseWeeklyHours(text);
    setErrors(parsed.ok ? {} : parsed.errors);
    return parsed.ok ? parsed.value : null;
  }
  return { text, setText, setDay, errors, check };
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
    <fieldset className="plain-fieldset">
      <legend>{what}</legend>
      <p className="hint flush-top">
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
