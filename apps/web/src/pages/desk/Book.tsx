import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { AppointmentResource as Appointment, PatientResource as Patient, SlotResource as Slot } from '@aftercare/contracts';
import { describeError } from '../../api';
import { ActionDialog } from '../../components/ActionDialog';
import { bookSlot, clinicianName, formatSlot, procedureName, useCatalog, newIdempotencyKey, type Catalog } from '../../components/desk';
import { PatientPicker } from '../../components/PatientSearch';
import { SlotPicker, todayAtClinic, type SlotSearch } from '../../components/SlotPicker';
import { Button, Card, ErrorBanner, FormButtons, Loading, Notice, Options, PageHeader, SelectField, TextAreaField, TextField } from '../../components/ui';
import { fullName } from '../../components/words';
import { formatTime } from '../../format';
import { useAction, useApi } from '../../hooks';

interface Booked {
  patient: Patient;
  text: string;
  closedTask: boolean;
}

/**
 * Patient → procedure type and clinician → "Find slots" → a slot → "Confirm booking". The query
 * (patientId, procedureType, clinicianId, bookingTaskId) comes from the patient page or a
 * booking task, so most bookings are three clicks.
 */
export function BookPage() {
  const [params, setParams] = useSearchParams();
  const patientId = params.get('patientId') ?? '';
  const bookingTaskId = params.get('bookingTaskId') ?? '';
  const { catalog, error: catalogError, reload: reloadCatalog } = useCatalog();
  // Asked at the same time as the catalogue, not after it.
  const patient = useApi<Patient>(patientId ? `/api/patients/${patientId}` : null);

  const [procedureType, setProcedureType] = useState(params.get('procedureType') ?? '');
  const [clinicianId, setClinicianId] = useState(params.get('clinicianId') ?? '');
  const [from, setFrom] = useState(params.get('from') ?? '');
  const [typeProblem, setTypeProblem] = useState<string | null>(null);
  // Arriving with a procedure type (from a task or a link), the slots are shown at once.
  const [search, setSearch] = useState<SlotSearch | null>(
    params.get('procedureType') ? { procedureType: params.get('procedureType')!, clinicianId: params.get('clinicianId') ?? '', from: params.get('from') ?? '' } : null,
  );
  const [refresh, setRefresh] = useState(0);
  const [chosen, setChosen] = useState<Slot | null>(null);
  const [taken, setTaken] = useState<string | null>(null);
  const [needPatient, setNeedPatient] = useState(false);
  const [booked, setBooked] = useState<Booked | null>(null);

  if (!catalog) {
    return (
      <>
        <PageHeader title="Book an appointment" />
        <ErrorBanner error={catalogError ? describeError(catalogError) : null} onRetry={reloadCatalog} />
        {catalogError ? null : <Loading />}
      </>
    );
  }
  const today = todayAtClinic(catalog);
  const fromDay = from || today;

  function setParam(patch: Record<string, string | null>) {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(patch)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  }

  function find(event: FormEvent) {
    event.preventDefault();
    if (!procedureType) {
      setTypeProblem('Choose what to book.');
      return;
    }
    setTypeProblem(null);
    setTaken(null);
    setBooked(null);
    setParam({ procedureType, clinicianId, from: from && from !== today ? from : null });
    setSearch({ procedureType, clinicianId, from: fromDay });
    setRefresh((n) => n + 1);
  }

  function pick(slot: Slot) {
    setTaken(null);
    if (!patient.data) {
      setNeedPatient(true);
      return;
    }
    setNeedPatient(false);
    setChosen(slot);
  }

  const p = patient.data;
  return (
    <>
      <PageHeader title="Book an appointment" />
      {booked ? (
        <Notice>
          <span>
            {booked.text} {booked.closedTask ? 'The booking task is closed. ' : ''}
            <Link to={`/desk/patients/${booked.patient.id}`}>Back to {fullName(booked.patient)}</Link>
            {booked.closedTask ? (
              <>
                {' · '}
                <Link to="/desk/tasks">Back to the booking tasks</Link>
              </>
            ) : null}
          </span>
        </Notice>
      ) : null}
      <Card id="patient-title" title="Patient">
        {patientId ? (
          <>
            <ErrorBanner error={patient.error} onRetry={patient.reload} />
            {p ? (
              <div className="row align-center">
                <span>
                  <Link to={`/desk/patients/${p.id}`}>
                    <strong>{fullName(p)}</strong>
                  </Link>{' '}
                  <span className="muted">
                    {p.phone}
                    {p.timezone !== catalog.clinic.timezone ? ` · lives in ${p.timezone}` : ''}
                  </span>
                </span>
                <Button variant="secondary" onClick={() => setParam({ patientId: null, bookingTaskId: null })}>
                  Change patient
                </Button>
              </div>
            ) : patient.loading ? (
              <Loading />
            ) : null}
          </>
        ) : (
          <>
            <PatientPicker
              onPick={(chosenPatient) => {
                setNeedPatient(false);
                setParam({ patientId: chosenPatient.id });
              }}
            />
          </>
        )}
      </Card>

      <Card id="what-title" title="What and when" onSubmit={find}>
        <div className="row">
          <SelectField label="Procedure type" value={procedureType} error={typeProblem} onChange={(e) => (setProcedureType(e.target.value), setTypeProblem(null))}>
            <option value="">Choose a procedure type</option>
            <Options choices={catalog.procedureTypes.map((t) => [t.code, `${t.name} (${t.durationMinutes} min)`])} />
          </SelectField>
          <SelectField label="Clinician" value={clinicianId} onChange={(e) => setClinicianId(e.target.value)}>
            <option value="">Any clinician</option>
            <Options choices={catalog.clinicians.map((c) => [c.id, c.name])} />
          </SelectField>
          <TextField label="From" type="date" value={fromDay} min={today} onChange={(e) => setFrom(e.target.value)} />
          <div className="field">
            <Button type="submit">Find slots</Button>
          </div>
        </div>
        <p className="hint" style={{ margin: 0 }}>
          Times are the clinic's ({catalog.clinic.timezone}).
        </p>
      </Card>

      {search ? (
        <section aria-labelledby="slots-title">
          <h2 id="slots-title">
            Free times: {procedureName(catalog, search.procedureType)}, {search.clinicianId ? clinicianName(catalog, search.clinicianId) : 'any clinician'}
          </h2>
          {taken ? <ErrorBanner error={taken} /> : null}
          {needPatient && patientId === '' ? <ErrorBanner error="Choose the patient above first, then pick the time." /> : null}
          <SlotPicker search={{ ...search, from: search.from || today, patientId: patientId || undefined }} catalog={catalog} refresh={refresh} onPick={pick} />
        </section>
      ) : null}

      {chosen && p ? (
        <ConfirmBooking
          slot={chosen}
          patient={p}
          procedureType={search!.procedureType}
          bookingTaskId={bookingTaskId || null}
          catalog={catalog}
          onClose={() => setChosen(null)}
          onTaken={(slot) => {
            setChosen(null);
            setTaken(`${formatSlot(slot.startsAt, catalog.clinic.timezone)} was just taken by another booking. The free times below are up to date: pick another.`);
            setRefresh((n) => n + 1);
          }}
          onBooked={(appointment) => {
            setChosen(null);
            setBooked({
              patient: p,
              closedTask: !!bookingTaskId,
              text: `Booked: ${fullName(p)}, ${procedureName(catalog, appointment.procedureType)} on ${formatSlot(appointment.startsAt, catalog.clinic.timezone)} with ${clinicianName(catalog, appointment.clinicianId)}.`,
            });
            // The task is answered: a second booking from here is a booking of its own.
            if (bookingTaskId) setParam({ bookingTaskId: null });
            setRefresh((n) => n + 1);
            window.scrollTo({ top: 0 });
          }}
        />
      ) : null}
    </>
  );
}

function ConfirmBooking({
  slot,
  patient,
  procedureType,
  bookingTaskId,
  catalog,
  onClose,
  onTaken,
  onBooked,
}: {
  slot: Slot;
  patient: Patient;
  procedureType: string;
  bookingTaskId: string | null;
  catalog: Catalog;
  onClose: () => void;
  onTaken: (slot: Slot) => void;
  onBooked: (appointment: Appointment) => void;
}) {
  const zone = catalog.clinic.timezone;
  // One key per confirmation: pressing again after a lost answer books once.
  const [key] = useState(newIdempotencyKey);
  const [notes, setNotes] = useState('');
  const type = catalog.procedureTypes.find((t) => t.code === procedureType);
  const booking = useAction(async () => {
    const appointment = await bookSlot(
      {
        patientId: patient.id,
        clinicianId: slot.clinicianId,
        procedureType,
        startsAt: slot.startsAt,
        ...(notes.trim() ? { notes: notes.trim() } : {}),
        ...(bookingTaskId ? { bookingTaskId } : {}),
      },
      key,
    );
    if (appointment) onBooked(appointment);
    else onTaken(slot);
  });

  return (
    <ActionDialog title="Book this time?" onClose={onClose} onSubmit={() => void (booking.pending || booking.run())}>
      <dl className="facts">
        <dt>Patient</dt>
        <dd>{fullName(patient)}</dd>
        <dt>Procedure</dt>
        <dd>
          {procedureName(catalog, procedureType)}
          {type ? ` (${type.durationMinutes} min)` : ''}
        </dd>
        <dt>Clinician</dt>
        <dd>{clinicianName(catalog, slot.clinicianId)}</dd>
        <dt>When</dt>
        <dd>
          {formatSlot(slot.startsAt, zone)}–{formatTime(slot.endsAt, zone)}
          {patient.timezone !== zone ? <div className="muted">{formatSlot(slot.startsAt, patient.timezone)} where the patient lives ({patient.timezone})</div> : null}
        </dd>
      </dl>
      <TextAreaField label="Notes" hint="Optional, for the clinic: not sent to the patient." maxLength={2000} value={notes} onChange={(e) => setNotes(e.target.value)} />
      <p className="muted">The patient gets a confirmation at once, by their preferred channel.</p>
      <ErrorBanner error={booking.error} />
      <FormButtons submit="Confirm booking" busy={booking.pending} onCancel={onClose} cancel="Back to the times" />
    </ActionDialog>
  );
}
