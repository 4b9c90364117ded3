import { useState } from 'react';
import type { AppointmentStatus, SlotResource as Slot } from '@aftercare/contracts';
import { api, ApiError, describeError } from '../api';
import { todayIn } from '../clock';
import { useAction } from '../hooks';
import { ActionDialog } from './ActionDialog';
import { allowedActions, clinicianName, formatSlot, procedureName, type Catalog } from './desk';
import { SlotPicker } from './SlotPicker';
import { Button, ErrorBanner, FormButtons, TextAreaField, TextField } from './ui';

/** The appointment a row is about, with the names its buttons and dialogs say. */
export interface ActionTarget {
  id: string;
  status: AppointmentStatus;
  startsAt: string;
  clinicianId: string;
  procedureType: string;
  patientId: string;
  patientName: string;
}

/**
 * A row's buttons for what the appointment's status allows now: Check in (on the day), No-show
 * (after the start), Reschedule (a new slot from the same picker as booking) and Cancel (with
 * a reason, confirmed first). `onDone` gets a sentence saying what changed.
 */
export function AppointmentActions({
  appointment: a,
  catalog,
  onDone,
  openReschedule = false,
  onDialogClosed,
}: {
  appointment: ActionTarget;
  catalog: Catalog;
  onDone: (what: string) => void;
  /** Opens the reschedule dialog at once (a reschedule request from the task list). */
  openReschedule?: boolean;
  onDialogClosed?: () => void;
}) {
  const zone = catalog.clinic.timezone;
  const allowed = allowedActions(a, zone);
  const [dialog, setDialog] = useState<'reschedule' | 'cancel' | null>(openReschedule && allowed.reschedule ? 'reschedule' : null);
  const when = formatSlot(a.startsAt, zone);
  const what = `${a.patientName}, ${when}`;
  // The API answers the appointment; `true` tells success apart from run()'s undefined on error.
  const post = useAction(async (action: 'check-in' | 'no-show') => (await api(`/api/appointments/${a.id}/${action}`, { method: 'POST' }), true));

  async function mark(action: 'check-in' | 'no-show') {
    // run() answers undefined on an error, which it shows below the buttons.
    const done = await post.run(action);
    if (done !== undefined) onDone(action === 'check-in' ? `Checked in: ${what}.` : `Marked as a no-show: ${what}.`);
  }

  function close() {
    setDialog(null);
    onDialogClosed?.();
  }

  if (!allowed.checkIn && !allowed.noShow && !allowed.reschedule && !allowed.cancel) return <span className="muted">—</span>;
  return (
    <div>
      <div className="cluster">
        {allowed.checkIn ? (
          <Button busy={post.pending} onClick={() => void mark('check-in')} aria-label={`Check in ${what}`}>
            Check in
          </Button>
        ) : null}
        {allowed.noShow ? (
          <Button variant="secondary" busy={post.pending} onClick={() => void mark('no-show')} aria-label={`No-show ${what}`}>
            No-show
          </Button>
        ) : null}
        {allowed.reschedule ? (
          <Button variant="secondary" onClick={() => setDialog('reschedule')} aria-label={`Reschedule ${what}`}>
            Reschedule
          </Button>
        ) : null}
        {allowed.cancel ? (
          <Button variant="secondary" onClick={() => setDialog('cancel')} aria-label={`Cancel ${what}`}>
            Cancel
          </Button>
        ) : null}
      </div>
      <ErrorBanner error={post.error} />
      {dialog === 'reschedule' ? (
        <RescheduleDialog appointment={a} catalog={catalog} onClose={close} onDone={(text) => (close(), onDone(text))} />
      ) : null}
      {dialog === 'cancel' ? <CancelDialog appointment={a} catalog={catalog} onClose={close} onDone={(text) => (close(), onDone(text))} /> : null}
    </div>
  );
}

function RescheduleDialog({ appointment: a, catalog, onClose, onDone }: { appointment: ActionTarget; catalog: Catalog; onClose: () => void; onDone: (what: string) => void }) {
  const zone = catalog.clinic.timezone;
  const [from, setFrom] = useState(() => todayIn(zone));
  const [chosen, setChosen] = useState<Slot | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [taken, setTaken] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    if (!chosen || pending) return;
    setTaken(null);
    setError(null);
    setPending(true);
    try {
      await api(`/api/appointments/${a.id}/reschedule`, { method: 'POST', body: { startsAt: chosen.startsAt } });
      onDone(`Moved: ${a.patientName}'s ${procedureName(catalog, a.procedureType)} is now ${formatSlot(chosen.startsAt, zone)} with ${clinicianName(catalog, a.clinicianId)}.`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        // Someone took it a moment ago: say so and show the times that are free now.
        setTaken(`${formatSlot(chosen.startsAt, zone)} was just taken. The free times below are up to date: pick another.`);
        setChosen(null);
        setRefresh((n) => n + 1);
      } else {
        setError(describeError(error));
      }
    } finally {
      setPending(false);
    }
  }

  return (
    <ActionDialog title={`Reschedule ${a.patientName}`} onClose={onClose} onSubmit={() => void confirm()}>
      <p>
        {procedureName(catalog, a.procedureType)} with {clinicianName(catalog, a.clinicianId)}, now {formatSlot(a.startsAt, zone)}.
      </p>
      <ErrorBanner error={taken ?? error} />
      {chosen ? (
        <div className="card">
          <p className="flush-top">
            New time: <strong>{formatSlot(chosen.startsAt, zone)}</strong> with {clinicianName(catalog, chosen.clinicianId)}. The patient is told at once.
          </p>
          <div className="row">
            <Button type="submit" busy={pending}>
              Confirm new time
            </Button>
            <Button variant="secondary" onClick={() => setChosen(null)}>
              Choose another time
            </Button>
            <Button variant="secondary" onClick={onClose}>
              Keep the current time
            </Button>
          </div>
        </div>
      ) : (
        <>
          <TextField label="From" type="date" value={from} onChange={(e) => e.target.value && setFrom(e.target.value)} />
          <div style={{ maxHeight: '50vh', overflowY: 'auto' }} tabIndex={0} role="region" aria-label="Free times">
            <SlotPicker
              search={{ procedureType: a.procedureType, clinicianId: a.clinicianId, from, patientId: a.patientId }}
              catalog={catalog}
              verb="Move to"
              refresh={refresh}
              onPick={(slot) => {
                setTaken(null);
                setChosen(slot);
              }}
            />
          </div>
          <Button variant="secondary" onClick={onClose}>
            Keep the current time
          </Button>
        </>
      )}
    </ActionDialog>
  );
}

function CancelDialog({ appointment: a, catalog, onClose, onDone }: { appointment: ActionTarget; catalog: Catalog; onClose: () => void; onDone: (what: string) => void }) {
  const zone = catalog.clinic.timezone;
  const [reason, setReason] = useState('');
  const cancel = useAction(async () => (await api(`/api/appointments/${a.id}/cancel`, { method: 'POST', body: reason.trim() ? { reason: reason.trim() } : {} }), true));

  async function confirm() {
    const done = await cancel.run();
    if (done !== undefined) onDone(`Cancelled: ${a.patientName}'s ${procedureName(catalog, a.procedureType)} on ${formatSlot(a.startsAt, zone)}.`);
  }

  return (
    <ActionDialog title="Cancel this appointment?" onClose={onClose} onSubmit={() => void confirm()}>
      <p>
        {a.patientName}: {procedureName(catalog, a.procedureType)} with {clinicianName(catalog, a.clinicianId)}, {formatSlot(a.startsAt, zone)}. The patient is
        told, and the reminders are removed.
      </p>
      <ErrorBanner error={cancel.error} />
      <TextAreaField label="Reason" hint="Optional: kept with the appointment." maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
      <FormButtons submit="Cancel appointment" variant="danger" busy={cancel.pending} onCancel={onClose} cancel="Keep appointment" />
    </ActionDialog>
  );
}
