import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type {
  ClinicianResource,
  FollowUpCountsResource,
  FollowUpItemResource as FollowUpItem,
  FollowUpKind,
  RepeatDecision,
} from '@aftercare/contracts';
import { useClinic, useClinicians } from '../../components/clinic-data';
import { KIND_NAMES, STATE_NAMES, URGENCY_TONES, dueText, urgencyOf, type Urgency } from '../../components/clinical';
import { ClinicianFilter } from '../../components/ClinicianFilter';
import { FollowUpActions } from '../../components/FollowUpActions';
import { Badge, DataTable, Empty, ErrorBanner, Loading, Notice, Options, PageHeader, SelectField, ShowMore } from '../../components/ui';
import { formatDate, formatDateTime } from '../../format';
import { useApi, usePages } from '../../hooks';
import { useUser } from '../../session';
import { dueListQueries } from './due-list-queries';

/**
 * The clinician's due list: follow-up visits, repeat-injection evaluations and attention items,
 * most urgent first (the server sorts). Its first load is one request for the list, with the
 * whole list's counts (GET /api/follow-ups/counts), the clinic's zone and the clinician names in
 * parallel.
 */

const KINDS: FollowUpKind[] = ['follow_up_visit', 'repeat_evaluation', 'attention', 'booking_task'];
const STATES = [
  ['open', 'Open (not done)'],
  ['overdue', 'Overdue'],
  ['today', 'Due today'],
  ['upcoming', 'Upcoming'],
  ['done', 'Done'],
] as const;

/** The open items by state; attention items are counted in their state and again on their own. */
const COUNTS: { key: keyof FollowUpCountsResource; label: string; className: string }[] = [
  { key: 'overdue', label: 'Overdue', className: 'count-bad' },
  { key: 'today', label: 'Due today', className: 'count-warn' },
  { key: 'attention', label: 'Attention', className: 'count-bad' },
  { key: 'upcoming', label: 'Upcoming', className: 'count-info' },
];

const URGENCY_WORDS: Record<Urgency, string> = { ...STATE_NAMES, attention: 'Attention' };

export function DueListPage() {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const clinicianParam = params.get('clinician');
  const { clinicianId, kind, state, list: query, counts: countsQuery } = dueListQueries(params, user);

  const pages = usePages<FollowUpItem>('/api/follow-ups', query);
  const { first, items } = pages;
  const counts = useApi<FollowUpCountsResource>('/api/follow-ups/counts', countsQuery);
  const clinic = useClinic();
  const clinicians = useClinicians();
  const timeZone = clinic.data?.timezone;

  const [done, setDone] = useState<string | null>(null);

  function setFilter(name: 'clinician' | 'kind' | 'state', value: string) {
    const next = new URLSearchParams(params);
    next.set(name, value);
    setParams(next, { replace: true });
    setDone(null);
  }

  function actionDone(message: string) {
    setDone(message);
    first.reload();
    counts.reload();
  }

  const shownCounts = counts.data;
  const filtered = clinicianParam !== null || kind !== '' || state !== 'open';

  return (
    <>
      <PageHeader title="Due list" />
      {shownCounts ? (
        <ul className="counts" aria-label="Counts" style={{ margin: '0 0 0.25rem' }}>
          {COUNTS.map((c) => (
            <li key={c.key} className={`count ${c.className}`}>
              <strong>{shownCounts[c.key]}</strong>
              {c.label}
            </li>
          ))}
        </ul>
      ) : null}
      <ErrorBanner error={counts.error ? `The counts could not be loaded: ${counts.error}` : null} onRetry={counts.reload} />
      <div className="row card" role="search" aria-label="Filters">
        <ClinicianFilter value={clinicianId} clinicians={clinicians.data} user={user} onChange={(value) => setFilter('clinician', value)} />
        <SelectField label="Kind" value={kind} onChange={(e) => setFilter('kind', e.target.value)}>
          <option value="">All kinds</option>
          <Options choices={KINDS.map((k) => [k, KIND_NAMES[k]])} />
        </SelectField>
        <SelectField label="State" value={state} onChange={(e) => setFilter('state', e.target.value)}>
          <Options choices={STATES} />
        </SelectField>
      </div>
      {done ? <Notice>{done}</Notice> : null}
      <ErrorBanner error={first.error} onRetry={first.reload} />
      <ErrorBanner error={clinic.error ? `Times are shown in this browser's zone: ${clinic.error}` : null} onRetry={clinic.reload} />
      {(first.loading && !first.data) || (clinic.loading && !clinic.data) ? (
        <Loading label="Loading the due list…" />
      ) : first.data && items.length === 0 ? (
        <Empty title="Nothing due.">
          Items appear here when a follow-up, a repeat-injection evaluation or a worrying check-in answer needs you.
          {filtered ? ' Other clinicians, kinds or states may have items: change the filters above.' : ''}
        </Empty>
      ) : items.length > 0 ? (
        <>
          <DataTable
            caption={
              <>
                {items.length} item{items.length === 1 ? '' : 's'}, most urgent first{first.loading ? ' (updating…)' : ''}
              </>
            }
            columns={['Patient', 'Kind', 'Due', 'Procedure', 'Pain', 'Reason', 'Actions']}
            items={items}
            row={(item) => <DueRow key={item.id} item={item} timeZone={timeZone} clinicians={clinicians.data ?? []} onDone={actionDone} />}
          />
          <ShowMore pages={pages} />
        </>
      ) : null}
    </>
  );
}

const DIRECTION_WORDS = { rising: ['rising', '↑'], falling: ['falling', '↓'], steady: ['steady', '→'] } as const;

function DueRow({ item, timeZone, clinicians, onDone }: { item: FollowUpItem; timeZone: string | undefined; clinicians: ClinicianResource[]; onDone: (message: string) => void }) {
  const urgency = urgencyOf(item);
  return (
    <tr className={urgency === 'done' ? undefined : `urgency-${urgency}`}>
      <td>
        <Link to={`/patients/${item.patient.id}`}>{item.patient.name}</Link>
      </td>
      <td>{KIND_NAMES[item.kind] ?? item.kind}</td>
      <td>
        <Badge tone={URGENCY_TONES[urgency]}>{URGENCY_WORDS[urgency]}</Badge>
        <div>{formatDateTime(item.dueAt, timeZone)}</div>
        {item.state === 'done' ? (
          <div className="muted">Done {formatDateTime(item.completedAt, timeZone)}</div>
        ) : (
          <div className="muted">{dueText(item.dueAt)}</div>
        )}
        {item.snoozedUntil ? <div className="muted">Snoozed until {formatDateTime(item.snoozedUntil, timeZone)}</div> : null}
      </td>
      <td>
        {item.procedureDate ? (
          <>
            <div>{formatDate(item.procedureDate, timeZone)}</div>
            <div className="muted">
              {item.site ?? 'Site not recorded'}
              {item.daysSinceProcedure !== null ? ` · day ${item.daysSinceProcedure}` : ''}
            </div>
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>
        {item.latestPainScore !== null ? (
          <>
            <div>
              <strong>{item.latestPainScore}</strong>/10
              {item.painDirection ? (
                <>
                  {' '}
                  {DIRECTION_WORDS[item.painDirection][0]} <span aria-hidden="true">{DIRECTION_WORDS[item.painDirection][1]}</span>
                </>
              ) : null}
            </div>
            {item.painTrend.length > 1 ? <div className="muted">Trend: {item.painTrend.join(', ')}</div> : null}
          </>
        ) : (
          <span className="muted">No score yet</span>
        )}
      </td>
      <td>
        <Reason item={item} timeZone={timeZone} />
      </td>
      <td>
        {item.state === 'done' ? (
          <span className="muted">{item.decision ? `Decided: ${decisionWords(item.decision.decision)}` : (item.note ?? '—')}</span>
        ) : (
          <FollowUpActions item={item} clinicians={clinicians} timeZone={timeZone} onDone={onDone} />
        )}
      </td>
    </tr>
  );
}

function decisionWords(decision: RepeatDecision): string {
  return decision === 'repeat' ? 'repeat injection' : decision === 'no_repeat' ? 'no repeat' : 'reassess';
}

/** Why the item is here: the reason, and for an attention item the answers that raised it. */
function Reason({ item, timeZone }: { item: FollowUpItem; timeZone: string | undefined }) {
  const text = item.reason ?? item.cause;
  const evidence = item.kind === 'attention' ? item.evidence.slice(0, 2) : [];
  return (
    <>
      {text ? <div>{text}</div> : <span className="muted">—</span>}
      {evidence.length > 0 ? (
        <ul className="muted compact-list">
          {evidence.map((e, i) => (
            <li key={i}>
              {e.reason}
              {e.score !== undefined ? ` (score ${e.score}${e.previousScore != null ? `, was ${e.previousScore}` : ''})` : ''} · {formatDateTime(e.at, timeZone)}
            </li>
          ))}
        </ul>
      ) : null}
      {item.occurrences > 1 ? <div className="muted">Raised {item.occurrences} times</div> : null}
    </>
  );
}
