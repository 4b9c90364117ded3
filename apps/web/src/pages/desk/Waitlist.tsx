import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { PatientResource as Patient, WaitlistEntryResource as WaitlistEntry, WaitlistStatus } from '@aftercare/contracts';
import { api, ApiError, describeError } from '../../api';
import { todayIn } from '../../clock';
import { ActionDialog } from '../../components/ActionDialog';
import { clinicianName, fieldOfMessage, formatSlot, procedureName, useCatalog, WAITLIST_STATUS, type Catalog } from '../../components/desk';
import { addDays, formatLocalDate } from '../../components/local-time';
import { PatientPicker } from '../../components/PatientSearch';
import { Badge, Button, Card, DataTable, Empty, ErrorBanner, FormButtons, Loading, Notice, Options, PageHeader, SelectField, ShowMore, TextAreaField, TextField } from '../../components/ui';
import { fullName } from '../../components/words';
import { formatDate, formatDateTime } from '../../format';
import { useAction, useDraft, usePages } from '../../hooks';

/** '' is the API's default: the live entries, waiting or offered a time. */
type Filter = '' | WaitlistStatus;

const FIELDS = ['patientId', 'procedureType', 'clinicianId', 'earliestDate', 'latestDate', 'notes'] as const;
type Field = (typeof FIELDS)[number];

interface EntryDraft {
  patientId: string;
  patientName: string;
  procedureType: string;
  clinicianId: string;
  earliestDate: string;
  latestDate: string;
  notes: string;
}

/** Entries a page (the API answers at most 500 at once). */
const WAITLIST_PAGE = 100;

const EMPTY: EntryDraft = { patientId: '', patientName: '', procedureType: '', clinicianId: '', earliestDate: '', latestDate: '', notes: '' };

/**
 * Patients who would take an earlier time. When a slot frees up, the system offers it to the
 * first matching entries by SMS (they answer YES); the desk adds and cancels entries here.
 */
export function WaitlistPage() {
  const { catalog, error: catalogError, reload: reloadCatalog } = useCatalog();
  const [filter, setFilter] = useState<Filter>('');
  const pages = usePages<WaitlistEntry>('/api/waitlist', { status: filter || undefined, limit: WAITLIST_PAGE });
  const { first: entries, items: list } = pages;
  const [notice, setNotice] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState<WaitlistEntry | null>(null);

  return (
    <>
      <PageHeader title="Waitlist" />
      <ErrorBanner error={catalogError ? describeError(catalogError) : null} onRetry={reloadCatalog} />
      {notice ? <Notice>{notice}</Notice> : null}
      {!catalog ? <Loading /> : null}
      {catalog ? (
        <>
          <section aria-labelledby="entries-title">
            <div className="row" style={{ justifyContent: 'space-between' }}>
              <h2 id="entries-title">Entries</h2>
              <div style={{ minWidth: '16rem' }}>
                <SelectField label="Show" value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
                  <option value="">Waiting or offered a time</option>
                  <Options choices={Object.entries(WAITLIST_STATUS).map(([status, { label }]) => [status, label])} />
                </SelectField>
              </div>
            </div>
            <ErrorBanner error={entries.error} onRetry={entries.reload} />
            {entries.loading && !entries.data ? <Loading /> : null}
            {entries.data && list.length === 0 ? (
              <Empty title={filter ? `No ${WAITLIST_STATUS[filter].label.toLowerCase()} entries.` : 'Nobody is waiting for an earlier time.'}>
                Add a patient below when they would come earlier than their booking: freed times are offered to them by SMS.
              </Empty>
            ) : null}
            {list.length > 0 ? <EntryTable entries={list} catalog={catalog} onCancel={setCancelling} /> : null}
            <ShowMore pages={pages} />
          </section>
          <AddEntryForm
            catalog={catalog}
            onAdded={(text) => {
              setNotice(text);
              entries.reload();
            }}
          />
        </>
      ) : null}
      {cancelling && catalog ? (
        <CancelEntryDialog
          entry={cancelling}
          catalog={catalog}
          onClose={() => setCancelling(null)}
          onDone={(text) => {
            setCancelling(null);
            setNotice(text);
            entries.reload();
          }}
        />
      ) : null}
    </>
  );
}

function EntryTable({ entries, catalog, onCancel }: { entries: WaitlistEntry[]; catalog: Catalog; onCancel: (entry: WaitlistEntry) => void }) {
  const zone = catalog.clinic.timezone;
  return (
    <DataTable
      label="Waitlist entries"
      columns={['Patient', 'Procedure', 'Clinician', 'Could come', 'Status', 'Added', 'Actions']}
      items={entries}
      row={(e) => {
        const pending = e.offers.find((o) => o.status === 'pending');
        const live = e.status === 'waiting' || e.status === 'offered';
        return (
          <tr key={e.id}>
            <td>
              <Link to={`/desk/patients/${e.patient.id}`}>{e.patient.name}</Link>
              {e.notes ? <div className="muted">{e.notes}</div> : null}
            </td>
            <td>{procedureName(catalog, e.procedureType)}</td>
            <td>{clinicianName(catalog, e.clinicianId)}</td>
            <td className="nowrap">
              {formatLocalDate(e.earliestDate)} – {formatLocalDate(e.latestDate)}
            </td>
            <td>
              <Badge tone={WAITLIST_STATUS[e.status].tone}>{WAITLIST_STATUS[e.status].label}</Badge>
              {pending ? (
                <div className="muted">
                  {formatSlot(pending.startsAt, zone)} with {clinicianName(catalog, pending.clinicianId)}; answer by {formatDateTime(pending.expiresAt, zone)}
                </div>
              ) : null}
            </td>
            <td>{formatDate(e.createdAt, zone)}</td>
            <td>
              {live ? (
                <Button variant="secondary" onClick={() => onCancel(e)} aria-label={`Cancel the waitlist entry of ${e.patient.name}`}>
                  Cancel
                </Button>
              ) : e.appointmentId ? (
                <Link to={`/desk/patients/${e.patient.id}`}>See the booking</Link>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
          </tr>
        );
      }}
    />
  );
}

function AddEntryForm({ catalog, onAdded }: { catalog: Catalog; onAdded: (text: string) => void }) {
  const today = todayIn(catalog.clinic.timezone);
  const [draft, update, clear] = useDraft<EntryDraft>('waitlist-entry', EMPTY);
  const earliest = draft.earliestDate || today;
  const latest = draft.latestDate || addDays(today, 28);
  const [problems, setProblems] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  function change(patch: Partial<EntryDraft>) {
    update(patch);
    const next = { ...problems };
    for (const key of Object.keys(patch)) delete next[key as Field];
    setProblems(next);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const found: Partial<Record<Field, string>> = {};
    if (!draft.patientId) found.patientId = 'Choose the patient.';
    if (!draft.procedureType) found.procedureType = 'Choose what they are waiting for.';
    if (latest < earliest) found.latestDate = 'The latest date must be on or after the earliest date.';
    else if (latest < today) found.latestDate = 'The latest date is in the past.';
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    setPending(true);
    try {
      await api<WaitlistEntry>('/api/waitlist', {
        method: 'POST',
        body: {
          patientId: draft.patientId,
          procedureType: draft.procedureType,
          clinicianId: draft.clinicianId || null,
          earliestDate: earliest,
          latestDate: latest,
          notes: draft.notes.trim() || null,
        },
      });
      onAdded(`Added: ${draft.patientName} waits for ${procedureName(catalog, draft.procedureType)} between ${formatLocalDate(earliest)} and ${formatLocalDate(latest)}.`);
      clear();
    } catch (e) {
      const field = e instanceof ApiError && e.status < 500 ? fieldOfMessage(e.message, FIELDS) : null;
      // The API names the patient for "already waiting" and "no SMS consent": say it there.
      const fromCode = e instanceof ApiError && (e.status === 409 || e.status === 422) && /patient/i.test(e.message) ? 'patientId' : null;
      const at = field ?? fromCode;
      if (at) setProblems({ [at]: describeError(e) });
      else setError(describeError(e));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card id="add-title" title="Add to the waitlist" onSubmit={(e) => void submit(e)} className="spaced-above">
      <div className="field">
        {draft.patientId ? (
          <>
            <span style={{ fontWeight: 600, fontSize: '0.9rem' }}>Patient</span>
            <div className="row align-center">
              <Link to={`/desk/patients/${draft.patientId}`}>{draft.patientName}</Link>
              <Button variant="secondary" onClick={() => change({ patientId: '', patientName: '' })}>
                Change patient
              </Button>
            </div>
          </>
        ) : (
          <PatientPicker label="Patient" onPick={(p: Patient) => change({ patientId: p.id, patientName: fullName(p) })} />
        )}
        {problems.patientId ? (
          <small className="field-error" role="alert">
            {problems.patientId}
          </small>
        ) : null}
      </div>
      <div className="row">
        <SelectField label="Procedure type" value={draft.procedureType} error={problems.procedureType} onChange={(e) => change({ procedureType: e.target.value })}>
          <option value="">Choose a procedure type</option>
          <Options choices={catalog.procedureTypes.map((t) => [t.code, t.name])} />
        </SelectField>
        <SelectField label="Clinician" value={draft.clinicianId} error={problems.clinicianId} onChange={(e) => change({ clinicianId: e.target.value })}>
          <option value="">Any clinician</option>
          <Options choices={catalog.clinicians.map((c) => [c.id, c.name])} />
        </SelectField>
      </div>
      <div className="row">
        <TextField label="Earliest date" type="date" min={today} value={earliest} error={problems.earliestDate} onChange={(e) => change({ earliestDate: e.target.value })} />
        <TextField label="Latest date" type="date" min={earliest} value={latest} error={problems.latestDate} onChange={(e) => change({ latestDate: e.target.value })} />
      </div>
      <TextAreaField label="Notes" hint="Optional, e.g. “mornings only”." maxLength={1000} value={draft.notes} error={problems.notes} onChange={(e) => change({ notes: e.target.value })} />
      <p className="hint">Offers go by SMS: the patient needs SMS consent. Dates are the clinic's.</p>
      <ErrorBanner error={error} />
      <Button type="submit" busy={pending}>
        Add to waitlist
      </Button>
    </Card>
  );
}

function CancelEntryDialog({ entry, catalog, onClose, onDone }: { entry: WaitlistEntry; catalog: Catalog; onClose: () => void; onDone: (text: string) => void }) {
  const cancel = useAction(async () => {
    await api(`/api/waitlist/${entry.id}/cancel`, { method: 'POST' });
    onDone(`Cancelled: ${entry.patient.name} no longer waits for ${procedureName(catalog, entry.procedureType)}.`);
  });
  return (
    <ActionDialog title="Take this patient off the waitlist?" onClose={onClose} onSubmit={() => void (cancel.pending || cancel.run())}>
      <p>
        {entry.patient.name}: {procedureName(catalog, entry.procedureType)} with {entry.clinicianId ? clinicianName(catalog, entry.clinicianId) : 'any clinician'},{' '}
        {formatLocalDate(entry.earliestDate)} – {formatLocalDate(entry.latestDate)}.
        {entry.status === 'offered' ? ' The time offered now is withdrawn and goes to the next patient waiting.' : ''}
      </p>
      <ErrorBanner error={cancel.error} />
      <FormButtons submit="Cancel entry" variant="danger" busy={cancel.pending} onCancel={onClose} cancel="Keep entry" />
    </ActionDialog>
  );
}
