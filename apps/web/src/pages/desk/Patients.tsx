import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import type {
  AppointmentResource as Appointment,
  BookingTaskResource as BookingTask,
  PatientResource as Patient,
  PossibleDuplicate,
  PreferredChannel,
} from '@aftercare/contracts';
import { api, ApiError, describeError, itemsOf } from '../../api';
import { serverNow, todayIn } from '../../clock';
import { AppointmentActions } from '../../components/AppointmentActions';
import {
  APPOINTMENT_TONES,
  clinicianName,
  emailProblem,
  fieldOfMessage,
  formatSlot,
  LANGUAGE_NAMES,
  normalizePhone,
  phoneProblem,
  procedureName,
  TASK_SOURCE_NAMES,
  useCatalog,
  type Catalog,
} from '../../components/desk';
import { formatLocalDate, isLocalDate } from '../../components/local-time';
import { usePatientSearch } from '../../components/PatientSearch';
import { Badge, Button, Card, CheckboxField, DataTable, Empty, ErrorBanner, Loading, Notice, Options, PageHeader, SelectField, TextField } from '../../components/ui';
import { APPOINTMENT_STATUS_NAMES, CHANNEL_NAMES, fullName } from '../../components/words';
import { formatDate } from '../../format';
import { useAction, useApi, useDraft } from '../../hooks';

/** The registration form's fields, named as the API names them (server errors name them too). */
const FIELDS = ['firstName', 'lastName', 'phone', 'email', 'dateOfBirth', 'timezone', 'preferredChannel', 'language', 'smsConsent'] as const;
type Field = (typeof FIELDS)[number];
type Problems = Partial<Record<Field, string>>;

interface RegisterDraft {
  firstName: string;
  lastName: string;
  phone: string;
  email: string;
  dateOfBirth: string;
  /** '' until chosen: the clinic's zone is shown (and sent) then. */
  timezone: string;
  preferredChannel: PreferredChannel;
  language: string;
  smsConsent: boolean;
}

const EMPTY_DRAFT: RegisterDraft = {
  firstName: '',
  lastName: '',
  phone: '',
  email: '',
  dateOfBirth: '',
  timezone: '',
  preferredChannel: 'sms',
  language: 'en',
  smsConsent: false,
};

/** Every IANA zone the browser knows, with the clinic's (and the draft's) even if it is an alias. */
function zoneList(...also: string[]): string[] {
  const zones = new Set(Intl.supportedValuesOf('timeZone'));
  for (const zone of also) if (zone) zones.add(zone);
  return [...zones].sort();
}

function problemsOf(d: RegisterDraft, today: string): Problems {
  const problems: Problems = {};
  if (!d.firstName.trim()) problems.firstName = 'Enter the first name.';
  if (!d.lastName.trim()) problems.lastName = 'Enter the last name.';
  const phone = phoneProblem(d.phone);
  if (phone) problems.phone = phone;
  const email = emailProblem(d.email, d.preferredChannel !== 'sms');
  if (email) problems.email = email;
  if (d.dateOfBirth && (!isLocalDate(d.dateOfBirth) || d.dateOfBirth > today)) problems.dateOfBirth = 'Enter a date of birth in the past, such as 1980-03-14.';
  return problems;
}

/** "Same phone", "same e-mail": why a patient may be the same person. */
const matchedOnText = (d: PossibleDuplicate) => `same ${d.matchedOn.map((m) => (m === 'phone' ? 'phone' : 'e-mail')).join(' and ')}`;

function DuplicateList({ duplicates }: { duplicates: PossibleDuplicate[] }) {
  return (
    <ul style={{ margin: '0.25rem 0' }}>
      {duplicates.map((d) => (
        <li key={d.id}>
          <Link to={`/desk/patients/${d.id}`}>Open {d.name}</Link> <span className="muted">({matchedOnText(d)})</span>
        </li>
      ))}
    </ul>
  );
}

export function PatientsPage() {
  const [params, setParams] = useSearchParams();
  const text = params.get('q') ?? '';
  const { patients, more, searched, loading, error, reload, settling } = usePatientSearch(text);
  return (
    <>
      <PageHeader title="Patients" />
      <div className="grid-2 align-top">
        <Card id="find-title" title="Find a patient">
          <TextField
            label="Search patients"
            type="search"
            value={text}
            autoComplete="off"
            hint="Name, phone, e-mail or date of birth (YYYY-MM-DD)"
            // The search stays in the address: Back returns to the same hits.
            onChange={(e) => setParams(e.target.value ? { q: e.target.value } : {}, { replace: true })}
          />
          <ErrorBanner error={error} onRetry={reload} />
          {!searched ? <p className="muted">Type at least two letters of a name, part of a phone number or e-mail, or a date of birth.</p> : null}
          {searched && (loading || settling) ? <Loading label="Searching…" /> : null}
          {searched && !loading && !settling && !error && patients.length === 0 ? (
            <Empty title="No patient matches.">Check the spelling or search by phone. A new patient? Register them with the form.</Empty>
          ) : null}
          {searched && !settling && patients.length > 0 ? <SearchResults patients={patients} /> : null}
          {searched && !settling && more ? <p className="muted">More than {patients.length} patients match: type more of the name, or search by phone or date of birth.</p> : null}
        </Card>
        <RegisterForm />
      </div>
    </>
  );
}

function SearchResults({ patients }: { patients: Patient[] }) {
  return (
    <DataTable
      label="Matching patients"
      columns={['Name', 'Date of birth', 'Mobile phone', 'Possible duplicates']}
      items={patients}
      row={(p) => (
        <tr key={p.id}>
          <td>
            <Link to={`/desk/patients/${p.id}`}>{fullName(p)}</Link>
            {p.email ? <div className="muted">{p.email}</div> : null}
          </td>
          <td>{formatLocalDate(p.dateOfBirth)}</td>
          <td>{p.phone}</td>
          <td>
            {p.possibleDuplicates?.length ? (
              <>
                <Badge tone="warn">Possible duplicate</Badge>
                <DuplicateList duplicates={p.possibleDuplicates} />
              </>
            ) : (
              <span className="muted">None</span>
            )}
          </td>
        </tr>
      )}
    />
  );
}

function RegisterForm() {
  const navigate = useNavigate();
  const { catalog, error: catalogError, reload: reloadCatalog } = useCatalog();
  const clinicZone = catalog?.clinic.timezone ?? '';
  const [draft, update, clear] = useDraft<RegisterDraft>('register-patient', EMPTY_DRAFT);
  const zone = draft.timezone || clinicZone;
  const zones = useMemo(() => zoneList(clinicZone, draft.timezone), [clinicZone, draft.timezone]);
  /** Fields the user has left: their problems show from then on (not while first typing). */
  const [touched, setTouched] = useState<Partial<Record<Field, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const [serverProblems, setServerProblems] = useState<Problems>({});
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  /** Patients with this phone or e-mail, and the values they were asked for. */
  const [duplicates, setDuplicates] = useState<{ key: string; list: PossibleDuplicate[] } | null>(null);
  const [acknowledged, setAcknowledged] = useState<string | null>(null);
  const asked = useRef(new Map<string, Promise<PossibleDuplicate[]>>());

  const problems = problemsOf(draft, todayIn(clinicZone || undefined, serverNow()));
  const shown = (field: Field): string | undefined =>
    serverProblems[field] ?? (touched[field] || submitted ? problems[field] : undefined);

  function change(patch: Partial<RegisterDraft>) {
    update(patch);
    // A server complaint is about the value that was sent: editing the field answers it.
    const cleared = { ...serverProblems };
    for (const key of Object.keys(patch) as Field[]) delete cleared[key];
    setServerProblems(cleared);
  }

  const phone = normalizePhone(draft.phone);
  const email = draft.email.trim().toLowerCase();
  const dupKey = `${problems.phone ? '' : phone}|${problems.email ? '' : email}`;

  /** Asks once per phone and e-mail pair who already has them (the same person, likely). */
  function checkDuplicates(): Promise<PossibleDuplicate[]> {
    const key = dupKey;
    if (key === '|') return Promise.resolve([]);
    let pendingCheck = asked.current.get(key);
    if (!pendingCheck) {
      const [p, e] = key.split('|');
      pendingCheck = api<PossibleDuplicate[]>('/api/patients/duplicates', { query: { phone: p, email: e } });
      asked.current.set(key, pendingCheck);
      pendingCheck.catch(() => asked.current.delete(key));
    }
    return pendingCheck.then((list) => {
      setDuplicates({ key, list });
      return list;
    });
  }

  function leave(field: Field) {
    setTouched((t) => ({ ...t, [field]: true }));
    // Warn while the form is still being filled, not only at the end.
    if ((field === 'phone' || field === 'email') && dupKey !== '|') checkDuplicates().catch(() => undefined);
  }

  async function submit(event: Pick<FormEvent, 'preventDefault'>, anyway = false) {
    event.preventDefault();
    setSubmitted(true);
    setError(null);
    if (Object.keys(problems).length > 0) {
      // Focus the first field with a problem, so the user sees it (and a screen reader says it).
      const first = FIELDS.find((f) => problems[f]);
      document.querySelector<HTMLElement>(`[data-field="${first}"] input, [data-field="${first}"] select`)?.focus();
      return;
    }
    setPending(true);
    try {
      if (!anyway && acknowledged !== dupKey) {
        const list = await checkDuplicates();
        if (list.length > 0) return; // shown below the form, with "Register anyway"
      }
      const created = await api<Patient>('/api/patients', {
        method: 'POST',
        body: {
          firstName: draft.firstName.trim(),
          lastName: draft.lastName.trim(),
          phone,
          email: email || null,
          timezone: zone,
          preferredChannel: draft.preferredChannel,
          smsConsent: draft.smsConsent,
          dateOfBirth: draft.dateOfBirth || null,
          language: draft.language,
        },
      });
      clear();
      navigate(`/desk/patients/${created.id}`);
    } catch (e) {
      const field = e instanceof ApiError && e.status < 500 ? fieldOfMessage(e.message, FIELDS) : null;
      if (field) setServerProblems({ [field]: e instanceof ApiError ? e.message : describeError(e) });
      else setError(describeError(e));
    } finally {
      setPending(false);
    }
  }

  const dupList = duplicates && duplicates.key === dupKey ? duplicates.list : [];
  return (
    <Card id="register-title" title="Register a patient" onSubmit={(e) => void submit(e)}>
      <ErrorBanner error={catalogError ? describeError(catalogError) : null} onRetry={reloadCatalog} />
      <div className="row align-top">
        <div data-field="firstName" className="cell">
          <TextField label="First name" autoComplete="off" required value={draft.firstName} error={shown('firstName')} onChange={(e) => change({ firstName: e.target.value })} onBlur={() => leave('firstName')} />
        </div>
        <div data-field="lastName" className="cell">
          <TextField label="Last name" autoComplete="off" required value={draft.lastName} error={shown('lastName')} onChange={(e) => change({ lastName: e.target.value })} onBlur={() => leave('lastName')} />
        </div>
      </div>
      <div data-field="phone">
        <TextField
          label="Mobile phone"
          type="tel"
          autoComplete="off"
          required
          value={draft.phone}
          hint="International (E.164) form: plus, country code and number, such as +12125550100."
          error={shown('phone')}
          onChange={(e) => change({ phone: e.target.value })}
          onBlur={() => leave('phone')}
        />
      </div>
      <div data-field="email">
        <TextField
          label="E-mail"
          type="email"
          autoComplete="off"
          value={draft.email}
          hint={draft.preferredChannel === 'sms' ? 'Optional with SMS only.' : 'Needed: messages go by e-mail.'}
          error={shown('email')}
          onChange={(e) => change({ email: e.target.value })}
          onBlur={() => leave('email')}
        />
      </div>
      <div className="row align-top">
        <div data-field="dateOfBirth" className="cell">
          <TextField label="Date of birth" type="date" value={draft.dateOfBirth} error={shown('dateOfBirth')} onChange={(e) => change({ dateOfBirth: e.target.value })} onBlur={() => leave('dateOfBirth')} />
        </div>
        <div data-field="timezone" style={{ flex: '1 1 200px', minWidth: 0 }}>
          {/* Full width of its column: the longest zone name would otherwise push it to a line of its own. */}
          <SelectField label="Time zone" style={{ width: '100%' }} value={zone} error={shown('timezone')} hint="Where the patient lives: messages come at their local time." onChange={(e) => change({ timezone: e.target.value })}>
            {zone ? null : <option value="">Loading the clinic's zone…</option>}
            <Options choices={zones.map((z) => [z, z])} />
          </SelectField>
        </div>
      </div>
      <div className="row align-top">
        <div data-field="preferredChannel" className="cell">
          <SelectField label="Preferred channel" value={draft.preferredChannel} error={shown('preferredChannel')} onChange={(e) => change({ preferredChannel: e.target.value as PreferredChannel })}>
            <Options choices={Object.entries(CHANNEL_NAMES)} />
          </SelectField>
        </div>
        <div data-field="language" className="cell">
          <SelectField label="Language" value={draft.language} error={shown('language')} hint="Of the patient's messages." onChange={(e) => change({ language: e.target.value })}>
            <Options choices={Object.entries(LANGUAGE_NAMES)} />
          </SelectField>
        </div>
      </div>
      <div data-field="smsConsent">
        <CheckboxField label="Consents to SMS" checked={draft.smsConsent} onChange={(e) => change({ smsConsent: e.target.checked })} />
        {shown('smsConsent') ? <p className="field-error">{shown('smsConsent')}</p> : null}
        {!draft.smsConsent && draft.preferredChannel !== 'email' ? (
          <p className="hint">Without SMS consent, no texts are sent: ask the patient, or choose E-mail.</p>
        ) : null}
      </div>
      {dupList.length > 0 ? (
        <div className="banner banner-info banner-block" role="status">
          <strong>This may be a patient who is already registered:</strong>
          <DuplicateList duplicates={dupList} />
          {acknowledged === dupKey ? (
            <span>You chose to register a new patient anyway.</span>
          ) : (
            <span>Open the existing patient, or register a new one if this is someone else (family members may share a phone).</span>
          )}
        </div>
      ) : null}
      <ErrorBanner error={error} />
      <div className="row">
        {dupList.length > 0 && acknowledged !== dupKey ? (
          <Button
            type="button"
            busy={pending}
            onClick={(e) => {
              setAcknowledged(dupKey);
              void submit(e, true);
            }}
          >
            Register anyway
          </Button>
        ) : (
          <Button type="submit" busy={pending}>
            Register patient
          </Button>
        )}
      </div>
    </Card>
  );
}

// ---- one patient, as the front desk sees them: contact details and appointments only ----

export function PatientDeskPage() {
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const rescheduleId = params.get('reschedule');
  const { catalog, error: catalogError, reload: reloadCatalog } = useCatalog();
  // Three requests at once, none waiting on another. No clinical route: no check-in answers here.
  const patient = useApi<Patient>(`/api/patients/${id}`);
  const appointments = useApi<Appointment[] | { items: Appointment[] }>('/api/appointments', { patientId: id });
  const tasks = useApi<BookingTask[]>('/api/booking-tasks', { patientId: id });
  const [notice, setNotice] = useState<string | null>(null);
  const p = patient.data;

  useEffect(() => setNotice(null), [id]);

  if (patient.error && !p) {
    return (
      <>
        <PageHeader title="Patient" />
        <ErrorBanner error={patient.error} onRetry={patient.reload} />
        <Link to="/desk/patients">Back to the patient search</Link>
      </>
    );
  }
  if (!p || !catalog) {
    return (
      <>
        <ErrorBanner error={catalogError ? describeError(catalogError) : null} onRetry={reloadCatalog} />
        <Loading />
      </>
    );
  }
  const name = fullName(p);
  function done(text: string) {
    setNotice(text);
    appointments.reload();
    tasks.reload();
  }
  return (
    <>
      <PageHeader title={name}>
        <Link className="button button-primary" to={`/desk/book?patientId=${p.id}`}>
          Book an appointment
        </Link>
      </PageHeader>
      {notice ? <Notice>{notice}</Notice> : null}
      {p.possibleDuplicates?.length ? (
        <div className="banner banner-info banner-block" role="status">
          <strong>Possibly the same person as:</strong>
          <DuplicateList duplicates={p.possibleDuplicates} />
        </div>
      ) : null}
      <div className="grid-2 align-top">
        <ContactCard patient={p} catalog={catalog} onChanged={(text) => (setNotice(text), patient.reload())} />
        <TaskCard tasks={tasks.data ?? []} error={tasks.error} onRetry={tasks.reload} catalog={catalog} />
      </div>
      <AppointmentsSection
        patient={p}
        list={itemsOf(appointments.data)}
        loading={appointments.loading && !appointments.data}
        error={appointments.error}
        onRetry={appointments.reload}
        catalog={catalog}
        rescheduleId={rescheduleId}
        onRescheduleClosed={() => setParams({}, { replace: true })}
        onDone={done}
      />
    </>
  );
}

function ContactCard({ patient: p, catalog, onChanged }: { patient: Patient; catalog: Catalog; onChanged: (text: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const optOut = useAction(async () => {
    await api(`/api/patients/${p.id}/sms-opt-out`, { method: 'POST' });
    setConfirming(false);
    onChanged(`Recorded: ${fullName(p)} gets no more texts (one confirmation is sent).`);
  });
  const sms = p.smsOptedOut ? (
    <Badge tone="bad">Opted out of SMS</Badge>
  ) : p.smsConsent ? (
    <Badge tone="good">Consents to SMS</Badge>
  ) : (
    <Badge tone="warn">No SMS consent</Badge>
  );
  return (
    <Card id="contact-title" title="Contact details">
      <dl className="facts">
        <dt>Mobile phone</dt>
        <dd>
          <a href={`tel:${p.phone}`}>{p.phone}</a>
        </dd>
        <dt>E-mail</dt>
        <dd>{p.email ? <a href={`mailto:${p.email}`}>{p.email}</a> : <span className="muted">None</span>}</dd>
        <dt>Date of birth</dt>
        <dd>{formatLocalDate(p.dateOfBirth)}</dd>
        <dt>Preferred channel</dt>
        <dd>{CHANNEL_NAMES[p.preferredChannel] ?? p.preferredChannel}</dd>
        <dt>SMS</dt>
        <dd>{sms}</dd>
        <dt>Language</dt>
        <dd>{LANGUAGE_NAMES[p.language] ?? p.language}</dd>
        <dt>Time zone</dt>
        <dd>
          {p.timezone}
          {p.timezone !== catalog.clinic.timezone ? <span className="muted"> (not the clinic's: times below are the clinic's)</span> : null}
        </dd>
        <dt>Registered</dt>
        <dd>{formatDate(p.createdAt, catalog.clinic.timezone)}</dd>
      </dl>
      {!p.smsOptedOut ? (
        <>
          <ErrorBanner error={optOut.error} />
          {confirming ? (
            <div className="row">
              <span>The patient asked for no more texts?</span>
              <Button variant="danger" busy={optOut.pending} onClick={() => void optOut.run()}>
                Record SMS opt-out
              </Button>
              <Button variant="secondary" onClick={() => setConfirming(false)}>
                Keep texting
              </Button>
            </div>
          ) : (
            <Button variant="secondary" onClick={() => setConfirming(true)}>
              Record an SMS opt-out…
            </Button>
          )}
        </>
      ) : null}
    </Card>
  );
}

function TaskCard({ tasks, error, onRetry, catalog }: { tasks: BookingTask[]; error: string | null; onRetry: () => void; catalog: Catalog }) {
  return (
    <Card id="tasks-title" title="Open booking tasks">
      <ErrorBanner error={error} onRetry={onRetry} />
      {tasks.length === 0 && !error ? <p className="muted">Nothing to book for this patient.</p> : null}
      <ul style={{ paddingLeft: '1.1rem', margin: 0 }}>
        {tasks.map((t) => (
          <li key={t.id}>
            <strong>{TASK_SOURCE_NAMES[t.source] ?? t.source}</strong>
            {t.procedureType && t.procedureType !== 'unknown' ? `: ${procedureName(catalog, t.procedureType)}` : ''} — by {formatDate(t.bookBy, catalog.clinic.timezone)}
            {Date.parse(t.bookBy) < serverNow().getTime() ? (
              <>
                {' '}
                <Badge tone="bad">Overdue</Badge>
              </>
            ) : null}
            <div className="muted">{t.reason}</div>
          </li>
        ))}
      </ul>
      {tasks.length > 0 ? <Link to="/desk/tasks">Work the booking tasks</Link> : null}
    </Card>
  );
}

function AppointmentsSection({
  patient,
  list,
  loading,
  error,
  onRetry,
  catalog,
  rescheduleId,
  onRescheduleClosed,
  onDone,
}: {
  patient: Patient;
  list: Appointment[];
  loading: boolean;
  error: string | null;
  onRetry: () => void;
  catalog: Catalog;
  rescheduleId: string | null;
  onRescheduleClosed: () => void;
  onDone: (text: string) => void;
}) {
  const now = serverNow().getTime();
  // Still to come (or still open today) first, soonest first; then the past and the
  // cancelled, latest first.
  const ahead = list.filter((a) => a.status !== 'cancelled' && (Date.parse(a.endsAt) >= now || a.status === 'checked_in'));
  const past = list.filter((a) => !ahead.includes(a)).reverse();
  const table = (rows: Appointment[], label: string) => (
    <DataTable
      label={label}
      columns={['When', 'Procedure', 'Clinician', 'Status', 'Actions']}
      items={rows}
      row={(a) => (
        <tr key={a.id}>
          <td>{formatSlot(a.startsAt, catalog.clinic.timezone)}</td>
          <td>{procedureName(catalog, a.procedureType)}</td>
          <td>{clinicianName(catalog, a.clinicianId)}</td>
          <td>
            <Badge tone={APPOINTMENT_TONES[a.status]}>{APPOINTMENT_STATUS_NAMES[a.status]}</Badge>
          </td>
          <td>
            <AppointmentActions
              appointment={{ ...a, patientName: fullName(patient) }}
              catalog={catalog}
              onDone={onDone}
              openReschedule={a.id === rescheduleId}
              onDialogClosed={a.id === rescheduleId ? onRescheduleClosed : undefined}
            />
          </td>
        </tr>
      )}
    />
  );
  return (
    <section aria-labelledby="appointments-title">
      <h2 id="appointments-title">Appointments</h2>
      <ErrorBanner error={error} onRetry={onRetry} />
      {loading ? <Loading /> : null}
      {!loading && !error && list.length === 0 ? (
        <Empty title="No appointments yet.">Use “Book an appointment” above to find a free time.</Empty>
      ) : null}
      {ahead.length > 0 ? (
        <>
          <h3>Upcoming</h3>
          {table(ahead, 'Upcoming appointments')}
        </>
      ) : list.length > 0 ? (
        <p className="muted">Nothing booked ahead.</p>
      ) : null}
      {past.length > 0 ? (
        <>
          <h3>Past and cancelled</h3>
          {table(past, 'Past appointments')}
        </>
      ) : null}
    </section>
  );
}
