import { useCallback, useMemo, useState } from 'react';
import { useParams } from 'react-router';
import type {
  AppointmentResource as Appointment,
  CarePlanResource as CarePlan,
  FollowUpKind,
  MessageResource as Message,
  PatientOutcomesResource as PatientOutcomes,
  PatientResource as Patient,
  TimelineEntry,
} from '@aftercare/contracts';
import { api } from '../../api';
import { ActionDialog } from '../../components/ActionDialog';
import { useClinic, useClinicians, useProcedureTypes } from '../../components/clinic-data';
import { KIND_NAMES, MESSAGE_TONES, PLAN_TONES, STEP_TONES, dueText } from '../../components/clinical';
import { errorAt } from '../../components/form-errors';
import { FollowUpActions } from '../../components/FollowUpActions';
import { MessageHistory } from '../../components/MessageHistory';
import { PainChart } from '../../components/PainChart';
import type { PainChartProcedure } from '../../components/pain-chart.model';
import { Badge, Button, Card, DataTable, Empty, ErrorBanner, FormButtons, Loading, Notice, PageHeader, TableHead, TextField } from '../../components/ui';
import { APPOINTMENT_STATUS_NAMES, fullName } from '../../components/words';
import { formatDate, formatDateTime, humanize } from '../../format';
import { useAction, useApi } from '../../hooks';
import { useLive } from '../../live';

/**
 * One patient as a clinician sees them: the pain chart, the care plans, the messages (live) and
 * everything that happened, in time order. Times are in the clinic's zone; the patient's own
 * zone is shown with their details, as their messages and check-ins follow it.
 */
export function PatientPage() {
  const { id = '' } = useParams();
  const patient = useApi<Patient>(`/api/patients/${id}`);
  const outcomes = useApi<PatientOutcomes>(`/api/patients/${id}/outcomes`);
  const plans = useApi<CarePlan[]>('/api/care-plans', { patientId: id });
  const messages = useApi<Message[]>('/api/messages', { patientId: id, limit: 100 });
  const timeline = useApi<TimelineEntry[]>(`/api/patients/${id}/timeline`);
  const clinic = useClinic();
  const clinicians = useClinicians();
  const typeName = useProcedureTypes().nameOf;
  const timeZone = clinic.data?.timezone;
  const [done, setDone] = useState<string | null>(null);

  const { reload: reloadOutcomes } = outcomes;
  const { reload: reloadPlans } = plans;
  const { reload: reloadMessages } = messages;
  const { reload: reloadTimeline } = timeline;
  // A new message, status or answer: everything it may have changed.
  const refresh = useCallback(() => {
    reloadMessages();
    reloadTimeline();
    reloadOutcomes();
    reloadPlans();
  }, [reloadMessages, reloadTimeline, reloadOutcomes, reloadPlans]);
  const live = useLive(id || null, refresh);

  const name = patient.data ? fullName(patient.data) : 'Patient';
  const newestScores = outcomes.data?.procedures[0]?.scores.map((s) => s.score) ?? [];
  const openItems = (timeline.data ?? [])
    .filter((e) => e.type === 'follow_up_item')
    .map((e) => e.data as { id: string; kind: FollowUpKind; status: string; dueAt: string; reason: string | null; occurrences?: number })
    .filter((item) => item.status === 'open');

  function actionDone(message: string) {
    setDone(message);
    refresh();
  }

  if (patient.error && !patient.data) {
    return (
      <>
        <PageHeader title="Patient" />
        <ErrorBanner error={patient.error} onRetry={patient.reload} />
      </>
    );
  }
  if (!patient.data) return <Loading label="Loading the patient…" />;
  const p = patient.data;

  return (
    <>
      <PageHeader title={name} />
      <p className="muted" style={{ marginTop: '-0.5rem' }}>
        {p.phone}
        {p.email ? ` · ${p.email}` : ''} · patient's zone {p.timezone} · prefers {p.preferredChannel === 'both' ? 'SMS and e-mail' : p.preferredChannel === 'sms' ? 'SMS' : 'e-mail'}
        {p.smsOptedOut ? ' · opted out of SMS' : !p.smsConsent ? ' · no SMS consent' : ''}
        {p.dateOfBirth ? ` · born ${p.dateOfBirth}` : ''}
      </p>
      {done ? <Notice>{done}</Notice> : null}
      <ErrorBanner error={clinic.error} onRetry={clinic.reload} />

      {openItems.length > 0 ? (
        <section aria-labelledby="open-items">
          <h2 id="open-items">Open follow-up items</h2>
          <DataTable
            columns={['Kind', 'Due', 'Reason', 'Actions']}
            items={openItems}
            row={(item) => (
              <tr key={item.id}>
                <td>{KIND_NAMES[item.kind] ?? humanize(item.kind)}</td>
                <td>
                  <div>{formatDateTime(item.dueAt, timeZone)}</div>
                  <div className="muted">{dueText(item.dueAt)}</div>
                </td>
                <td>{item.reason ?? '—'}</td>
                <td>
                  <FollowUpActions
                    item={{ id: item.id, kind: item.kind, patient: { id, name }, painTrend: newestScores, occurrences: item.occurrences }}
                    clinicians={clinicians.data ?? []}
                    timeZone={timeZone}
                    onDone={actionDone}
                  />
                </td>
              </tr>
            )}
          />
        </section>
      ) : null}

      <Card id="pain-scores" title="Pain scores">
        <ErrorBanner error={outcomes.error} onRetry={outcomes.reload} />
        {outcomes.data ? <PainSection outcomes={outcomes.data} timeZone={timeZone} typeName={typeName} /> : outcomes.loading ? <Loading label="Loading pain scores…" /> : null}
      </Card>

      <section aria-labelledby="care-plans">
        <h2 id="care-plans">Care plans</h2>
        <ErrorBanner error={plans.error} onRetry={plans.reload} />
        {plans.loading && !plans.data ? <Loading label="Loading care plans…" /> : null}
        {plans.data && plans.data.length === 0 ? (
          <Empty title="No care plan yet.">A care plan starts when a procedure is marked completed on the Procedures page.</Empty>
        ) : null}
        {plans.data?.map((plan) => (
          <CarePlanCard key={plan.id} plan={plan} timeZone={timeZone} onChanged={actionDone} />
        ))}
      </section>

      <section aria-labelledby="messages">
        <div className="page-header" style={{ marginBottom: 0 }}>
          <h2 id="messages">Messages</h2>
          <span role="status">
            <Badge tone={live === 'live' ? 'good' : 'warn'}>{live === 'live' ? 'Live' : 'Reconnecting…'}</Badge>
          </span>
        </div>
        <ErrorBanner error={messages.error} onRetry={messages.reload} />
        {messages.loading && !messages.data ? <Loading label="Loading messages…" /> : null}
        {messages.data ? <MessageTable messages={messages.data} timeZone={timeZone} /> : null}
      </section>

      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <ErrorBanner error={timeline.error} onRetry={timeline.reload} />
        {timeline.loading && !timeline.data ? <Loading label="Loading the timeline…" /> : null}
        {timeline.data ? <Timeline entries={timeline.data} timeZone={timeZone} typeName={typeName} /> : null}
      </section>
    </>
  );
}

function PainSection({ outcomes, timeZone, typeName }: { outcomes: PatientOutcomes; timeZone: string | undefined; typeName: (code: string) => string }) {
  const procedures = useMemo(
    (): PainChartProcedure[] =>
      outcomes.procedures.map((p) => ({
        id: p.carePlanId,
        label: `${typeName(p.procedureType)} on ${formatDate(p.procedureDate, p.timezone)}${p.site ? `, ${p.site}` : ''}`,
        procedureDate: p.procedureDate,
        timezone: p.timezone,
        scores: p.scores.map((s) => ({ day: s.day, score: s.score, answeredAt: s.answeredAt })),
      })),
    [outcomes, typeName],
  );
  const formatAnswered = useCallback((iso: string) => formatDateTime(iso, timeZone), [timeZone]);
  const anyScore = outcomes.procedures.some((p) => p.scores.length > 0);
  return (
    <>
      {anyScore ? (
        <PainChart procedures={procedures} formatAnswered={formatAnswered} />
      ) : (
        <Empty title="No pain scores yet.">
          {outcomes.procedures.length > 0
            ? 'They appear here when the patient replies to a check-in by SMS with a number from 0 to 10.'
            : 'Check-ins start after a procedure is marked completed; the replies are charted here.'}
        </Empty>
      )}
      {outcomes.procedures.length > 0 ? (
        <ul style={{ margin: '0.5rem 0 0', paddingLeft: '1.1rem' }}>
          {[...outcomes.procedures].reverse().map((p) => (
            <li key={p.carePlanId}>
              {typeName(p.procedureType)} on {formatDate(p.procedureDate, p.timezone)}
              {p.site ? `, ${p.site}` : ''}: baseline {p.baseline ? `${p.baseline.score} (day ${p.baseline.day})` : 'not known'}, week 6{' '}
              {p.week6 ? `${p.week6.score} (day ${p.week6.day})` : 'not yet'}
              {p.improvement !== null ? ` · ${p.improvement > 0 ? `${p.improvement} points less pain` : p.improvement < 0 ? `${-p.improvement} points more pain` : 'no change'}` : ''}
              {p.improved === true ? ' · improved' : p.improved === false ? ' · not improved' : ''}
            </li>
          ))}
        </ul>
      ) : null}
      {outcomes.unassignedScores.length > 0 ? (
        <p className="muted">
          Scores not linked to a procedure: {outcomes.unassignedScores.map((s) => `${s.score} on ${formatDate(s.answeredAt, timeZone)}`).join(', ')}.
        </p>
      ) : null}
    </>
  );
}

const STEP_NAMES: Record<string, string> = {
  aftercare: 'Aftercare instructions',
  checkin: 'Check-in',
  follow_up_visit: 'Follow-up visit',
  repeat_evaluation: 'Repeat-injection evaluation',
};

/** "Check-in, week 2" from kind checkin and key checkin-week-2. */
function stepName(kind: string, key: string): string {
  const name = STEP_NAMES[kind] ?? humanize(kind);
  const when = kind === 'checkin' ? key.replace(/^check-?in[-_]?/, '') : '';
  return when ? `${name}, ${humanize(when).toLowerCase()}` : name;
}

type PlanAction = 'pause' | 'resume' | 'cancel';
const PLAN_ACTION_WORDS: Record<PlanAction, string> = { pause: 'Pause plan', resume: 'Resume plan', cancel: 'Cancel plan' };

function CarePlanCard({ plan, timeZone, onChanged }: { plan: CarePlan; timeZone: string | undefined; onChanged: (message: string) => void }) {
  const [action, setAction] = useState<PlanAction | null>(null);
  const steps = [...plan.steps].sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  const headingId = `plan-${plan.id}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="page-header" style={{ marginBottom: '0.5rem' }}>
        <h3 id={headingId} style={{ margin: 0 }}>
          Care plan {plan.protocol} (version {plan.protocolVersion}) <Badge tone={PLAN_TONES[plan.status]}>{humanize(plan.status)}</Badge>
        </h3>
        <div className="page-actions">
          {plan.status === 'active' ? (
            <Button variant="secondary" onClick={() => setAction('pause')}>
              Pause plan
            </Button>
          ) : null}
          {plan.status === 'paused' ? (
            <Button variant="secondary" onClick={() => setAction('resume')}>
              Resume plan
            </Button>
          ) : null}
          {plan.status === 'active' || plan.status === 'paused' ? (
            <Button variant="danger" onClick={() => setAction('cancel')}>
              Cancel plan
            </Button>
          ) : null}
        </div>
      </div>
      <p className="muted flush-top">
        Procedure completed {formatDateTime(plan.completedAt, timeZone)}
        {plan.site ? ` · ${plan.site}` : ''}
        {plan.outcome ? ` · outcome: ${humanize(plan.outcome)}` : ''}
        {plan.statusReason ? ` · reason: ${plan.statusReason}` : ''}
      </p>
      <DataTable
        columns={['Step', 'Due', 'Status']}
        items={steps}
        row={(step) => (
          <tr key={step.id}>
            <td>{stepName(step.kind, step.key)}</td>
            <td>{formatDateTime(step.dueAt, timeZone)}</td>
            <td>
              <Badge tone={STEP_TONES[step.status] ?? 'neutral'}>{humanize(step.status)}</Badge>
            </td>
          </tr>
        )}
      />
      {action ? <PlanActionDialog plan={plan} action={action} onClose={() => setAction(null)} onDone={(m) => (setAction(null), onChanged(m))} /> : null}
    </section>
  );
}

function PlanActionDialog({ plan, action, onClose, onDone }: { plan: CarePlan; action: PlanAction; onClose: () => void; onDone: (message: string) => void }) {
  const [reason, setReason] = useState('');
  const required = action !== 'resume';
  const { run, pending, error, setError } = useAction(() =>
    // Pause and cancel say why (the API requires it); resume may.
    api<CarePlan>(`/api/care-plans/${plan.id}/${action}`, { method: 'POST', body: reason.trim() ? { reason: reason.trim() } : {} }),
  );
  async function submit() {
    if (required && !reason.trim()) {
      setError('reason: say why (it is kept with the plan)');
      return;
    }
    if ((await run()) === undefined) return;
    onDone(action === 'pause' ? 'The care plan is paused: no step goes out until it is resumed.' : action === 'resume' ? 'The care plan is running again.' : 'The care plan is cancelled.');
  }
  const reasonError = errorAt(error, 'reason');
  const hint =
    action === 'pause'
      ? 'No message or check-in goes out while it is paused.'
      : action === 'resume'
        ? 'Steps still ahead go out at their times; those that came due while paused are skipped or sent now.'
        : 'Remaining steps are cancelled and the plan’s open items closed (attention items stay).';
  return (
    <ActionDialog title={`${PLAN_ACTION_WORDS[action]}: ${plan.protocol}`} onClose={onClose} onSubmit={submit}>
      <ErrorBanner error={reasonError ? null : error} />
      <TextField label={required ? 'Reason' : 'Reason (optional)'} value={reason} maxLength={500} required={required} onChange={(e) => setReason(e.target.value)} hint={hint} error={reasonError} autoFocus />
      <FormButtons submit={PLAN_ACTION_WORDS[action]} variant={action === 'cancel' ? 'danger' : 'primary'} busy={pending} onCancel={onClose} cancel="Close" className="page-actions" />
    </ActionDialog>
  );
}

/** Newest first; the rest on request (the timeline has them all too). */
const MESSAGES_SHOWN = 15;

function MessageTable({ messages, timeZone }: { messages: Message[]; timeZone: string | undefined }) {
  const [all, setAll] = useState(false);
  if (messages.length === 0) {
    return <Empty title="No messages yet.">Confirmations, reminders, aftercare and check-ins appear here as they go out, with the patient's replies.</Empty>;
  }
  return (
    <div className="table-wrap">
      <table>
        <caption className="muted">
          Newest first
        </caption>
        <TableHead columns={['When', 'Message', 'Status', 'Text']} />
        <tbody>
          {(all ? messages : messages.slice(0, MESSAGES_SHOWN)).map((m) => (
            <tr key={m.id}>
              <td>{formatDateTime(m.sentAt ?? m.sendAt ?? m.createdAt, timeZone)}</td>
              <td>
                {m.direction === 'inbound' ? 'Inbound' : 'Outbound'} {m.channel === 'sms' ? 'SMS' : 'e-mail'}
                <div className="muted">{humanize(m.kind)}</div>
              </td>
              <td>
                <Badge tone={MESSAGE_TONES[m.status] ?? 'neutral'}>{humanize(m.status)}</Badge>
                {m.error ? (
                  <div className="text-bad">
                    {m.error}
                    {m.errorCode ? ` (${m.errorCode})` : ''}
                  </div>
                ) : null}
                {m.statusHistory && m.statusHistory.length > 1 ? <MessageHistory history={m.statusHistory} summary={`History (${m.statusHistory.length})`} timeZone={timeZone} /> : null}
              </td>
              <td style={{ maxWidth: '28rem', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                {m.subject ? <strong>{m.subject}: </strong> : null}
                {m.body}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!all && messages.length > MESSAGES_SHOWN ? (
        <div style={{ padding: '0.5rem 0.6rem' }}>
          <Button variant="secondary" onClick={() => setAll(true)}>
            Show the {messages.length - MESSAGES_SHOWN} older messages
          </Button>
        </div>
      ) : null}
    </div>
  );
}

/** The newest entries are what a clinician looks for; older ones on request. */
const TIMELINE_SHOWN = 30;

function Timeline({ entries, timeZone, typeName }: { entries: TimelineEntry[]; timeZone: string | undefined; typeName: (code: string) => string }) {
  const [all, setAll] = useState(false);
  if (entries.length === 0) return <Empty title="Nothing has happened yet.">Appointments, messages, pain scores and follow-up items appear here in time order.</Empty>;
  const shown = all ? entries : entries.slice(-TIMELINE_SHOWN);
  return (
    <>
      {shown.length < entries.length ? (
        <Button variant="secondary" onClick={() => setAll(true)}>
          Show the {entries.length - shown.length} earlier entries
        </Button>
      ) : null}
      <ol className="timeline card" aria-label="Timeline, oldest first">
        {shown.map((entry, i) => (
          <li key={i}>
            <span className="muted">{formatDateTime(entry.at, timeZone)}</span>
            <span>{describeEntry(entry, timeZone, typeName)}</span>
          </li>
        ))}
      </ol>
    </>
  );
}

function describeEntry(entry: TimelineEntry, timeZone: string | undefined, typeName: (code: string) => string): string {
  switch (entry.type) {
    case 'appointment': {
      const a = entry.data as Appointment;
      return `Appointment: ${typeName(a.procedureType)}, ${APPOINTMENT_STATUS_NAMES[a.status] ?? humanize(a.status)}${a.site ? ` (${a.site})` : ''}`;
    }
    case 'message': {
      const m = entry.data as Message;
      const text = m.body.length > 140 ? `${m.body.slice(0, 140)}…` : m.body;
      return `${m.direction === 'inbound' ? 'Reply' : 'Sent'} by ${m.channel === 'sms' ? 'SMS' : 'e-mail'} (${humanize(m.status)}): ${text}`;
    }
    case 'pain_score': {
      const s = entry.data as { score: number };
      return `Pain score ${s.score} of 10`;
    }
    case 'follow_up_item': {
      const item = entry.data as { kind: FollowUpKind; status: string; dueAt: string; reason: string | null };
      return `${KIND_NAMES[item.kind] ?? humanize(item.kind)} (${item.status}), due ${formatDateTime(item.dueAt, timeZone)}${item.reason ? `: ${item.reason}` : ''}`;
    }
    case 'care_plan_step': {
      const step = entry.data as { kind: string; key: string; status: string };
      return `Care-plan step ${stepName(step.kind, step.key)}: ${humanize(step.status)}`;
    }
    default:
      return humanize(String(entry.type));
  }
}
