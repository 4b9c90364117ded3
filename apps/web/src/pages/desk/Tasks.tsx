import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import type { BookingTaskResource as BookingTask, SlotResource as Slot } from '@aftercare/contracts';
import { api, describeError } from '../../api';
import { serverNow } from '../../clock';
import { ActionDialog } from '../../components/ActionDialog';
import { bookSlot, clinicianName, formatSlot, newIdempotencyKey, procedureName, TASK_SOURCE_NAMES, useCatalog, type Catalog } from '../../components/desk';
import { slotLabel } from '../../components/SlotPicker';
import { Badge, Button, CheckboxField, DataTable, Empty, ErrorBanner, FormButtons, Loading, Notice, PageHeader, TextAreaField } from '../../components/ui';
import { formatDate } from '../../format';
import { useAction, useApi } from '../../hooks';

/** The first free slot is looked up for this many tasks at once when the list loads. */
const PREFETCH = 30;
const PARALLEL = 4;
const DAY_MS = 86_400_000;
/** An overdue task (or one due within days) still gets the first free time in this window. */
const MIN_WINDOW_DAYS = 14;
/** The availability API searches at most this far in one request. */
const MAX_WINDOW_DAYS = 60;

/** What can be booked for a task: a call or an opt-out to confirm has nothing to book. */
function bookable(task: BookingTask): task is BookingTask & { procedureType: string } {
  return !!task.procedureType && task.procedureType !== 'unknown' && task.source !== 'reschedule_request';
}

type FirstSlot = { state: 'loading' } | { state: 'none' } | { state: 'found'; slot: Slot } | { state: 'error'; message: string } | { state: 'not-asked' };

/** The first free slot for a task: its clinician (or any), before its book-by date where there is one. */
async function firstSlot(task: BookingTask & { procedureType: string }, signal: AbortSignal): Promise<Slot | null> {
  const now = serverNow().getTime();
  const bookBy = Date.parse(task.bookBy);
  const to = Math.min(Math.max(bookBy, now + MIN_WINDOW_DAYS * DAY_MS), now + MAX_WINDOW_DAYS * DAY_MS);
  const { slots } = await api<{ slots: Slot[] }>('/api/availability', {
    query: {
      procedureType: task.procedureType,
      clinicianId: task.clinicianId ?? undefined,
      patientId: task.patient.id,
      from: new Date(now).toISOString(),
      to: new Date(to).toISOString(),
      limit: 1,
    },
    signal,
  });
  return slots[0] ?? null;
}

/**
 * The front desk's list of what to book, for whom and by when. Tasks with something to book
 * get a one-click "Book <time>" for the first free slot (looked up when the list loads) and a
 * link to choose another time; calls and opt-outs are marked done with a note.
 */
export function BookingTasksPage() {
  const { catalog, error: catalogError, reload: reloadCatalog } = useCatalog();
  const tasks = useApi<BookingTask[]>('/api/booking-tasks');
  const [slots, setSlots] = useState<Record<string, FirstSlot>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [completing, setCompleting] = useState<BookingTask | null>(null);
  const list = tasks.data ?? [];
  const listKey = list.map((t) => t.id).join(',');

  /** Looks up the first free slot for these tasks, a few requests at a time. */
  function lookUp(targets: (BookingTask & { procedureType: string })[], signal: AbortSignal) {
    setSlots((current) => ({ ...current, ...Object.fromEntries(targets.map((t) => [t.id, { state: 'loading' } as FirstSlot])) }));
    const queue = [...targets];
    const worker = async () => {
      for (let task = queue.shift(); task; task = queue.shift()) {
        const id = task.id;
        try {
          const slot = await firstSlot(task, signal);
          setSlots((current) => ({ ...current, [id]: slot ? { state: 'found', slot } : { state: 'none' } }));
        } catch (error) {
          if (signal.aborted) return;
          setSlots((current) => ({ ...current, [id]: { state: 'error', message: describeError(error) } }));
        }
      }
    };
    for (let i = 0; i < PARALLEL; i++) void worker();
  }

  useEffect(() => {
    const controller = new AbortController();
    const targets = list.filter(bookable);
    // Only the first ones are looked up at once (the list can be long); the rest on request.
    setSlots(Object.fromEntries(targets.slice(PREFETCH).map((t) => [t.id, { state: 'not-asked' } as FirstSlot])));
    lookUp(targets.slice(0, PREFETCH), controller.signal);
    return () => controller.abort();
    // The task ids stand for the list: a reload with the same tasks keeps the lookups.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [listKey]);

  function refreshOne(task: BookingTask & { procedureType: string }) {
    lookUp([task], new AbortController().signal);
  }

  function done(text: string) {
    setNotice(text);
    tasks.reload();
  }

  return (
    <>
      <PageHeader title="Booking tasks" />
      <ErrorBanner error={catalogError ? describeError(catalogError) : null} onRetry={reloadCatalog} />
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorBanner error={tasks.error} onRetry={tasks.reload} />
      {(tasks.loading && !tasks.data) || !catalog ? <Loading /> : null}
      {tasks.data && catalog && list.length === 0 ? (
        <Empty title="Nothing to book.">New tasks appear here when a follow-up or repeat injection needs a visit.</Empty>
      ) : null}
      {catalog && list.length > 0 ? (
        <DataTable
          label="Open booking tasks"
          columns={['Book by', 'Task', 'Patient', 'Reason', 'Actions']}
          items={list}
          row={(task) => (
            <TaskRow
              key={task.id}
              task={task}
              catalog={catalog}
              first={slots[task.id]}
              onLookUp={() => bookable(task) && refreshOne(task)}
              onBooked={done}
              onTaken={(text) => {
                setNotice(text);
                if (bookable(task)) refreshOne(task);
              }}
              onComplete={() => setCompleting(task)}
            />
          )}
        />
      ) : null}
      {completing && catalog ? (
        <CompleteDialog
          task={completing}
          onClose={() => setCompleting(null)}
          onDone={(text) => {
            setCompleting(null);
            done(text);
          }}
        />
      ) : null}
    </>
  );
}

function TaskRow({
  task,
  catalog,
  first,
  onLookUp,
  onBooked,
  onTaken,
  onComplete,
}: {
  task: BookingTask;
  catalog: Catalog;
  first: FirstSlot | undefined;
  onLookUp: () => void;
  onBooked: (text: string) => void;
  onTaken: (text: string) => void;
  onComplete: () => void;
}) {
  const zone = catalog.clinic.timezone;
  const overdue = Date.parse(task.bookBy) < serverNow().getTime();
  // One key per slot offered: a retry after a lost answer books once.
  const [key, setKey] = useState(newIdempotencyKey);
  const slot = first?.state === 'found' ? first.slot : null;
  useEffect(() => setKey(newIdempotencyKey()), [slot?.startsAt, slot?.clinicianId]);

  const booking = useAction(async (chosen: Slot, procedureType: string) => {
    const appointment = await bookSlot({ patientId: task.patient.id, clinicianId: chosen.clinicianId, procedureType, startsAt: chosen.startsAt, bookingTaskId: task.id }, key);
    if (appointment) {
      onBooked(
        `Booked: ${task.patient.name}, ${procedureName(catalog, appointment.procedureType)} on ${formatSlot(appointment.startsAt, zone)} with ${clinicianName(catalog, appointment.clinicianId)}. The task is closed.`,
      );
    } else {
      onTaken(`${formatSlot(chosen.startsAt, zone)} was just taken for ${task.patient.name}; the next free time is shown.`);
    }
  });

  function book() {
    if (!slot || !bookable(task) || booking.pending) return;
    void booking.run(slot, task.procedureType);
  }

  const chooseLink = `/desk/book?${new URLSearchParams({
    patientId: task.patient.id,
    ...(bookable(task) ? { procedureType: task.procedureType } : {}),
    ...(task.clinicianId ? { clinicianId: task.clinicianId } : {}),
    bookingTaskId: task.id,
  }).toString()}`;

  return (
    <tr className={overdue ? 'urgency-overdue' : undefined}>
      <td className="nowrap">
        {formatDate(task.bookBy, zone)}
        {overdue ? (
          <div>
            <Badge tone="bad">Overdue</Badge>
          </div>
        ) : null}
      </td>
      <td>
        <strong>{TASK_SOURCE_NAMES[task.source] ?? task.source}</strong>
        {bookable(task) ? (
          <div>
            {procedureName(catalog, task.procedureType)} · {clinicianName(catalog, task.clinicianId)}
          </div>
        ) : null}
      </td>
      <td>
        <Link to={`/desk/patients/${task.patient.id}`}>{task.patient.name}</Link>
      </td>
      <td>{task.reason}</td>
      <td>
        {bookable(task) ? (
          <div className="cluster" style={{ marginBottom: '0.35rem' }}>
            {first?.state === 'loading' ? <span className="muted">Finding the first free time…</span> : null}
            {slot ? (
              <>
                <Button busy={booking.pending} onClick={book} aria-label={`${slotLabel('Book', slot, catalog)} for ${task.patient.name}`}>
                  Book {formatSlot(slot.startsAt, zone)}
                </Button>
                <span className="muted">with {clinicianName(catalog, slot.clinicianId)}</span>
              </>
            ) : null}
            {first?.state === 'none' ? <span className="muted">No free time in the next weeks.</span> : null}
            {first?.state === 'not-asked' ? (
              <Button variant="secondary" onClick={onLookUp}>
                Find the first free time
              </Button>
            ) : null}
          </div>
        ) : null}
        {slot && Date.parse(slot.startsAt) > Date.parse(task.bookBy) ? <div className="muted">The first free time is after the book-by date.</div> : null}
        <div className="cluster" style={{ gap: '0.75rem' }}>
          {bookable(task) ? <Link to={chooseLink}>Choose another time</Link> : null}
          {task.source === 'reschedule_request' && task.appointmentId ? (
            <Link to={`/desk/patients/${task.patient.id}?reschedule=${task.appointmentId}`}>Choose a new time</Link>
          ) : null}
          <Button variant="secondary" onClick={onComplete} aria-label={`Mark done: ${TASK_SOURCE_NAMES[task.source] ?? task.source} for ${task.patient.name}`}>
            Mark done
          </Button>
        </div>
        {first?.state === 'error' ? <ErrorBanner error={first.message} onRetry={onLookUp} /> : null}
        <ErrorBanner error={booking.error} />
      </td>
    </tr>
  );
}

/** Done by hand: a call made, an opt-out confirmed (and recorded), a booking made some other way. */
function CompleteDialog({ task, onClose, onDone }: { task: BookingTask; onClose: () => void; onDone: (text: string) => void }) {
  const [note, setNote] = useState('');
  const [recordOptOut, setRecordOptOut] = useState(false);
  const complete = useAction(async () => {
    if (task.source === 'confirm_opt_out' && recordOptOut) await api(`/api/patients/${task.patient.id}/sms-opt-out`, { method: 'POST' });
    await api(`/api/booking-tasks/${task.id}/complete`, { method: 'POST', body: note.trim() ? { note: note.trim() } : {} });
    onDone(`Done: ${TASK_SOURCE_NAMES[task.source] ?? 'task'} for ${task.patient.name}${recordOptOut ? '; the SMS opt-out is recorded' : ''}.`);
  });

  return (
    <ActionDialog title={`Mark done: ${TASK_SOURCE_NAMES[task.source] ?? 'task'}`} onClose={onClose} onSubmit={() => void (complete.pending || complete.run())}>
      <p>
        {task.patient.name}: {task.reason}
      </p>
      {task.source === 'confirm_opt_out' ? (
        <CheckboxField label="Record the SMS opt-out: the patient confirmed they want no more texts" checked={recordOptOut} onChange={(e) => setRecordOptOut(e.target.checked)} />
      ) : null}
      <TextAreaField label="Note" hint="Optional: what was done, e.g. “Called, booked by phone”." maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />
      <ErrorBanner error={complete.error} />
      <FormButtons submit="Mark done" busy={complete.pending} onCancel={onClose} cancel="Keep it open" />
    </ActionDialog>
  );
}
