import { useEffect, useState } from 'react';
import type { SlotResource as Slot } from '@aftercare/contracts';
import { api, describeError, isAborted } from '../api';
import { todayIn } from '../clock';
import { formatTime } from '../format';
import { clinicianName, formatDay, formatSlot, type Catalog } from './desk';
import { startOfLocalDay } from './local-time';
import { Button, Empty, ErrorBanner, Loading } from './ui';

export interface SlotSearch {
  procedureType: string;
  /** '' for any clinician: one request covers them all (the API searches every clinician). */
  clinicianId: string;
  /** The clinic's local date to search from, 'YYYY-MM-DD'. */
  from: string;
  /** Leaves out times when this patient is already booked. */
  patientId?: string;
}

/** Each request looks this far ahead, and answers at most this many slots. */
const WINDOW_DAYS = 14;
const PAGE = 120;
const DAY_MS = 86_400_000;

/** The slot's accessible name: what it does, when and with whom ("Book Mon, Dec 7, 9:00 AM with Dr Ada Okafor"). */
export function slotLabel(verb: string, slot: Slot, catalog: Catalog): string {
  return `${verb} ${formatSlot(slot.startsAt, catalog.clinic.timezone)} with ${clinicianName(catalog, slot.clinicianId)}`;
}

/**
 * The free slots of a search, by day and clinician, each a button. "Show later times" reads on
 * from the last slot shown. Used to book (Book page) and to move an appointment (Reschedule).
 * `refresh` changes when the caller knows the slots are stale (a booking, a 409).
 */
export function SlotPicker({
  search,
  catalog,
  verb = 'Book',
  onPick,
  refresh = 0,
}: {
  search: SlotSearch;
  catalog: Catalog;
  verb?: string;
  onPick: (slot: Slot) => void;
  refresh?: number;
}) {
  const zone = catalog.clinic.timezone;
  const key = JSON.stringify([search, refresh]);
  const start = startOfLocalDay(search.from, zone).toISOString();
  const [slots, setSlots] = useState<Slot[]>([]);
  /** Where "Show later times" reads on from (ISO). */
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [request, setRequest] = useState({ key, from: start, append: false, attempt: 0 });
  // A new search (or a refresh) starts from its first day again; set while rendering, so no
  // request for the old search goes out in between.
  if (request.key !== key) setRequest({ key, from: start, append: false, attempt: 0 });

  useEffect(() => {
    if (request.key !== key) return;
    const controller = new AbortController();
    const to = new Date(Date.parse(request.from) + WINDOW_DAYS * DAY_MS).toISOString();
    setLoading(true);
    setError(null);
    if (!request.append) setSlots([]);
    api<{ slots: Slot[] }>('/api/availability', {
      query: { procedureType: search.procedureType, clinicianId: search.clinicianId, from: request.from, to, patientId: search.patientId, limit: PAGE },
      signal: controller.signal,
    })
      .then(({ slots: page }) => {
        setSlots((current) => (request.append ? [...current, ...page] : page));
        // A full page may stop mid-day: go on from just after its last slot; else after the window.
        const last = page[page.length - 1];
        setCursor(page.length >= PAGE && last ? new Date(Date.parse(last.startsAt) + 60_000).toISOString() : to);
      })
      .catch((e: unknown) => {
        if (isAborted(e)) return;
        setError(describeError(e));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
    // The request stands for the search (its key) and the page asked for.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [request]);

  const days = groupByDay(slots, zone);
  return (
    <div>
      <ErrorBanner error={error} onRetry={() => setRequest((r) => ({ ...r, attempt: r.attempt + 1 }))} />
      {days.map(({ day, byClinician }) => (
        <section key={day}>
          <h3>{formatDay(byClinician[0]![1][0]!.startsAt, zone)}</h3>
          {byClinician.map(([clinicianId, daySlots]) => (
            <div key={clinicianId} style={{ display: 'flex', gap: '0.75rem', alignItems: 'baseline', marginBottom: '0.5rem' }}>
              <span style={{ minWidth: '11rem', fontWeight: 600 }}>{clinicianName(catalog, clinicianId)}</span>
              <div className="cluster">
                {daySlots.map((slot) => (
                  <Button key={slot.startsAt} variant="secondary" aria-label={slotLabel(verb, slot, catalog)} onClick={() => onPick(slot)}>
                    {formatTime(slot.startsAt, zone)}
                  </Button>
                ))}
              </div>
            </div>
          ))}
        </section>
      ))}
      {loading ? <Loading label="Finding free times…" /> : null}
      {!loading && !error && slots.length === 0 ? (
        <Empty title="No free time in these two weeks.">Try a later “From” date, another clinician or “Any clinician”, or show later times.</Empty>
      ) : null}
      {!loading && !error && cursor ? (
        <p>
          <Button variant="secondary" onClick={() => setRequest({ key, from: cursor, append: true, attempt: 0 })}>
            Show later times
          </Button>{' '}
          {slots.length > 0 ? <span className="muted">Shown up to {formatDay(slots[slots.length - 1]!.startsAt, zone)}.</span> : null}
        </p>
      ) : null}
    </div>
  );
}

/** Slots by the clinic's local day, then by clinician (in the order they first appear). */
function groupByDay(slots: Slot[], zone: string): { day: string; byClinician: [string, Slot[]][] }[] {
  const days = new Map<string, Map<string, Slot[]>>();
  for (const slot of slots) {
    const day = todayIn(zone, new Date(slot.startsAt));
    const byClinician = days.get(day) ?? new Map<string, Slot[]>();
    days.set(day, byClinician);
    const list = byClinician.get(slot.clinicianId) ?? [];
    byClinician.set(slot.clinicianId, list);
    list.push(slot);
  }
  return [...days].map(([day, byClinician]) => ({ day, byClinician: [...byClinician] }));
}

/** The local day a search starts on when none is given: today in the clinic's zone. */
export const todayAtClinic = (catalog: Catalog) => todayIn(catalog.clinic.timezone);
