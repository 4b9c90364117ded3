import { useState } from 'react';
import type { ClinicianResource as Clinician, FollowUpKind, RepeatDecision as Decision } from '@aftercare/contracts';
import { api } from '../api';
import { todayIn } from '../clock';
import { useAction, useDraft } from '../hooks';
import { ActionDialog } from './ActionDialog';
import { errorAt as errorFor } from './form-errors';
import { addDays } from './local-time';
import { Button, ErrorBanner, FormButtons, Options, SelectField, TextAreaField, TextField } from './ui';

/**
 * The actions on one due-list item (complete, snooze, reassign, and for a repeat evaluation the
 * decision), each in its own small dialog. Used by the due list and the patient page, so both
 * act the same way; the page reloads its list through `onDone`.
 */

export interface ActionableItem {
  id: string;
  kind: FollowUpKind;
  clinicianId?: string | null;
  patient: { id: string; name: string };
  /** The plan's pain scores, oldest first, shown with the decision. */
  painTrend?: number[];
  /** How many times the item was raised, as shown: completing it is refused if it has been raised again since. */
  occurrences?: number;
}

type Open = 'complete' | 'snooze' | 'reassign' | 'decide' | null;

/** How the clinician sums up a plan that ends without a repeat (the API's PLAN_OUTCOMES). */
const OUTCOMES = [
  ['', 'Not stated'],
  ['resolved', 'Resolved'],
  ['improved', 'Improved'],
  ['unchanged', 'Unchanged'],
  ['worse', 'Worse'],
  ['declined', 'Patient declined'],
  ['other', 'Other'],
] as const;

export function FollowUpActions({
  item,
  clinicians,
  timeZone,
  onDone,
}: {
  item: ActionableItem;
  clinicians: Clinician[];
  /** The clinic's zone: "today" for the snooze date. */
  timeZone: string | undefined;
  /** After an action succeeded, with a sentence saying what happened. */
  onDone: (message: string) => void;
}) {
  const [open, setOpen] = useState<Open>(null);
  const close = () => setOpen(null);
  const finish = (message: string) => {
    setOpen(null);
    onDone(message);
  };
  return (
    // Row buttons, smaller than a form's so that a row stays short (still a 32 px target).
    <div className="page-actions" style={{ gap: '0.3rem' }}>
      {item.kind === 'repeat_evaluation' ? (
        <Button onClick={() => setOpen('decide')} className="button-compact">
          Decide
        </Button>
      ) : null}
      <Button variant="secondary" onClick={() => setOpen('complete')} className="button-compact">
        Complete
      </Button>
      <Button variant="secondary" onClick={() => setOpen('snooze')} className="button-compact">
        Snooze
      </Button>
      <Button variant="secondary" onClick={() => setOpen('reassign')} className="button-compact">
        Reassign
      </Button>
      {open === 'complete' ? <CompleteDialog item={item} onClose={close} onDone={finish} /> : null}
      {open === 'snooze' ? <SnoozeDialog item={item} timeZone={timeZone} onClose={close} onDone={finish} /> : null}
      {open === 'reassign' ? <ReassignDialog item={item} clinicians={clinicians} onClose={close} onDone={finish} /> : null}
      {open === 'decide' ? <DecideDialog item={item} onClose={close} onDone={finish} /> : null}
    </div>
  );
}

interface DialogProps {
  item: ActionableItem;
  onClose: () => void;
  onDone: (message: string) => void;
}

function CompleteDialog({ item, onClose, onDone }: DialogProps) {
  const [draft, update, clear] = useDraft(`follow-up.${item.id}.complete`, { note: '' });
  const { run, pending, error } = useAction(() =>
    api(`/api/follow-ups/${item.id}/complete`, {
      method: 'POST',
      body: { note: draft.note.trim() || null, ...(item.occurrences !== undefined ? { seenOccurrences: item.occurrences } : {}) },
    }),
  );
  async function submit() {
    if ((await run()) === undefined) return;
    clear();
    onDone(`${item.patient.name}: item completed.`);
  }
  return (
    <ActionDialog title={`Complete: ${item.patient.name}`} onClose={onClose} onSubmit={submit}>
      <ErrorBanner error={errorFor(error, 'note') ? null : error} />
      <TextAreaField label="Note (optional)" value={draft.note} maxLength={2000} onChange={(e) => update({ note: e.target.value })} error={errorFor(error, 'note')} autoFocus />
      <FormButtons submit="Complete" busy={pending} onCancel={onClose} cancel="Close" className="page-actions" />
    </ActionDialog>
  );
}

function SnoozeDialog({ item, timeZone, onClose, onDone }: DialogProps & { timeZone: string | undefined }) {
  const today = todayIn(timeZone);
  const [until, setUntil] = useState(addDays(today, 1));
  const [note, setNote] = useState('');
  const { run, pending, error, setError } = useAction(() =>
    api(`/api/follow-ups/${item.id}/snooze`, { method: 'POST', body: { until, note: note.trim() || null } }),
  );
  async function submit() {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(until)) {
      setError('until must be a date such as 2026-12-24');
      return;
    }
    if ((await run()) === undefined) return;
    onDone(`${item.patient.name}: snoozed until ${until}.`);
  }
  const untilError = errorFor(error, 'until');
  return (
    <ActionDialog title={`Snooze: ${item.patient.name}`} onClose={onClose} onSubmit={submit}>
      <ErrorBanner error={untilError || errorFor(error, 'note') ? null : error} />
      <TextField
        label="Snooze until"
        type="date"
        required
        min={addDays(today, 1)}
        value={until}
        onChange={(e) => setUntil(e.target.value)}
        hint="The item leaves today's and the overdue list until the start of that day (the patient's zone)."
        error={untilError}
        autoFocus
      />
      <TextAreaField label="Note (optional)" value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} error={errorFor(error, 'note')} />
      <FormButtons submit="Snooze" busy={pending} onCancel={onClose} cancel="Close" className="page-actions" />
    </ActionDialog>
  );
}

function ReassignDialog({ item, clinicians, onClose, onDone }: DialogProps & { clinicians: Clinician[] }) {
  const others = clinicians.filter((c) => c.id !== item.clinicianId);
  const [clinicianId, setClinicianId] = useState(others[0]?.id ?? '');
  const [note, setNote] = useState('');
  const { run, pending, error, setError } = useAction(() =>
    api(`/api/follow-ups/${item.id}/reassign`, { method: 'POST', body: { clinicianId, note: note.trim() || null } }),
  );
  async function submit() {
    if (!clinicianId) {
      setError('clinicianId: choose the clinician to hand the item to');
      return;
    }
    if ((await run()) === undefined) return;
    const name = clinicians.find((c) => c.id === clinicianId)?.name ?? 'another clinician';
    onDone(`${item.patient.name}: reassigned to ${name}.`);
  }
  const fieldError = errorFor(error, 'clinicianId');
  return (
    <ActionDialog title={`Reassign: ${item.patient.name}`} onClose={onClose} onSubmit={submit}>
      <ErrorBanner error={fieldError ? null : error} />
      <SelectField label="Reassign to" value={clinicianId} onChange={(e) => setClinicianId(e.target.value)} error={fieldError} required autoFocus>
        {others.length === 0 ? <option value="">No other clinician</option> : null}
        <Options choices={others.map((c) => [c.id, c.name])} />
      </SelectField>
      <TextAreaField label="Note (optional)" value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
      <FormButtons submit="Reassign" busy={pending} disabled={others.length === 0} onCancel={onClose} cancel="Close" className="page-actions" />
    </ActionDialog>
  );
}

function DecideDialog({ item, onClose, onDone }: DialogProps) {
  const [draft, update, clear] = useDraft(`follow-up.${item.id}.decide`, { note: '', bookBy: '', reassessInWeeks: '6', outcome: '' });
  const [chosen, setChosen] = useState<Decision | null>(null);
  const { run, pending, error, setError } = useAction((decision: Decision) => {
    const body: Record<string, unknown> = { decision, note: draft.note.trim() || null };
    if (decision === 'repeat' && draft.bookBy) body.bookBy = draft.bookBy;
    if (decision === 'reassess') body.reassessInWeeks = Number(draft.reassessInWeeks);
    if (decision === 'no_repeat' && draft.outcome) body.outcome = draft.outcome;
    return api(`/api/follow-ups/${item.id}/decision`, { method: 'POST', body });
  });
  async function decide(decision: Decision) {
    setChosen(decision);
    if (decision === 'reassess') {
      const weeks = Number(draft.reassessInWeeks);
      if (!Number.isInteger(weeks) || weeks < 1 || weeks > 26) {
        setError('reassessInWeeks must be a whole number of weeks from 1 to 26');
        return;
      }
    }
    if ((await run(decision)) === undefined) return;
    clear();
    onDone(
      decision === 'repeat'
        ? `${item.patient.name}: repeat injection decided; the front desk has a booking task for it.`
        : decision === 'no_repeat'
          ? `${item.patient.name}: no repeat injection; the care plan is closed.`
          : `${item.patient.name}: to be reassessed in ${draft.reassessInWeeks} weeks.`,
    );
  }
  const weeksError = errorFor(error, 'reassessInWeeks');
  const bookByError = errorFor(error, 'bookBy');
  const outcomeError = errorFor(error, 'outcome');
  const noteError = errorFor(error, 'note');
  const trend = item.painTrend ?? [];
  return (
    <ActionDialog title={`Repeat injection for ${item.patient.name}?`} onClose={onClose}>
      <p className="muted flush-top">
        {trend.length > 0 ? `Pain scores so far, oldest first: ${trend.join(' → ')}.` : 'No pain scores reported on this plan.'}
      </p>
      <ErrorBanner error={weeksError || bookByError || outcomeError || noteError ? null : error} />
      <TextAreaField label="Note (optional)" value={draft.note} maxLength={2000} onChange={(e) => update({ note: e.target.value })} error={noteError} />
      <div className="row">
        <TextField
          label="Book by (with a repeat)"
          type="date"
          value={draft.bookBy}
          onChange={(e) => update({ bookBy: e.target.value })}
          hint="Default: four weeks"
          error={bookByError}
        />
        <TextField
          label="Reassess in (weeks)"
          type="number"
          min={1}
          max={26}
          step={1}
          value={draft.reassessInWeeks}
          onChange={(e) => update({ reassessInWeeks: e.target.value })}
          error={weeksError}
        />
        <SelectField label="Outcome (with no repeat)" value={draft.outcome} onChange={(e) => update({ outcome: e.target.value })} error={outcomeError}>
          <Options choices={OUTCOMES} />
        </SelectField>
      </div>
      <div className="page-actions">
        <Button onClick={() => void decide('repeat')} busy={pending && chosen === 'repeat'} disabled={pending}>
          Repeat injection
        </Button>
        <Button variant="secondary" onClick={() => void decide('no_repeat')} busy={pending && chosen === 'no_repeat'} disabled={pending}>
          No repeat
        </Button>
        <Button variant="secondary" onClick={() => void decide('reassess')} busy={pending && chosen === 'reassess'} disabled={pending}>
          Reassess
        </Button>
        <Button variant="secondary" onClick={onClose}>
          Close
        </Button>
      </div>
    </ActionDialog>
  );
}
