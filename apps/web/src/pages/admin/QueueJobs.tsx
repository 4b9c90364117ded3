import { useState } from 'react';
import {
  QUEUE_JOB_STATES,
  type QueueJobDetailResource as JobDetail,
  type QueueJobResource as Job,
  type QueueJobsPageResource as JobsPage,
  type QueueJobState,
  type QueueName,
} from '@aftercare/contracts';
import { api } from '../../api';
import { Button, Card, Empty, ErrorBanner, LoadedTable, Notice } from '../../components/ui';
import { formatDateTime, humanize } from '../../format';
import { useAction, useApi } from '../../hooks';

const PAGE = 20;

/** What each state holds, said once above its list. */
const STATE_HINTS: Record<QueueJobState, string> = {
  waiting: 'Ready to run now, next first.',
  delayed: 'Waiting for their time, soonest first. They run when due; nothing here runs one early.',
  active: 'Running now.',
  failed: 'Out of attempts, latest first; kept 30 days. A retry runs the job again with a fresh round of attempts; the job reloads its row and decides again (opt-outs, quiet hours).',
  completed: 'Done in the last 7 days, latest first.',
};

/**
 * One queue's jobs in one state, a page at a time, with a job's detail and, for a failed job,
 * Retry. Jobs carry ids only (the row they wake up), never patient data.
 */
export function QueueJobs({ queue, label, timeZone, onChanged }: { queue: QueueName; label: string; timeZone: string | undefined; onChanged: () => void }) {
  const [state, setState] = useState<QueueJobState>('failed');
  const [offset, setOffset] = useState(0);
  const [openId, setOpenId] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const base = `/api/admin/queues/${encodeURIComponent(queue)}/jobs`;
  const page = useApi<JobsPage>(base, { state, limit: PAGE, offset });
  const detail = useApi<JobDetail>(openId ? `${base}/${encodeURIComponent(openId)}` : null);
  const retry = useAction(async (job: Job) => {
    await api(`${base}/${encodeURIComponent(job.id)}/retry`, { method: 'POST' });
    setDone(`Job ${job.id} of ${label} is running again.`);
    setOpenId(null);
    page.reload();
    onChanged();
  });

  const choose = (next: QueueJobState) => {
    setState(next);
    setOffset(0);
    setOpenId(null);
    setDone(null);
  };
  const total = page.data?.total ?? 0;
  const time = (iso: string | null) => (iso ? formatDateTime(iso, timeZone) : '—');

  return (
    <Card id="queue-jobs" title={`Jobs of ${label}`}>
      <div className="row" role="group" aria-label="Job state">
        {QUEUE_JOB_STATES.map((s) => (
          <Button key={s} variant={s === state ? 'primary' : 'secondary'} aria-pressed={s === state} onClick={() => choose(s)}>
            {humanize(s)}
          </Button>
        ))}
      </div>
      <p className="hint">{STATE_HINTS[state]}</p>
      {done ? <Notice>{done}</Notice> : null}
      <ErrorBanner error={retry.error} />
      <LoadedTable
        list={{ data: page.data?.items, error: page.error, loading: page.loading && !page.data, reload: page.reload }}
        label={`${humanize(state)} jobs`}
        empty={<Empty title={`No ${state} jobs.`} />}
        columns={['Job', 'Created', state === 'delayed' ? 'Due' : 'Finished', 'Attempts', 'Reason', 'Actions']}
        row={(job) => (
          <tr key={job.id}>
            <td>
              <code>{job.id}</code>
              <div className="muted">{job.name}</div>
            </td>
            <td>{time(job.createdAt)}</td>
            <td>{time(state === 'delayed' ? job.dueAt : job.finishedAt)}</td>
            <td>
              {job.attemptsMade} of {job.attemptsAllowed}
            </td>
            <td>{job.failedReason ?? <span className="muted">—</span>}</td>
            <td>
              <div className="row">
                <Button
                  variant="secondary"
                  aria-expanded={openId === job.id}
                  aria-label={`${openId === job.id ? 'Hide details' : 'Details'} of job ${job.id}`}
                  onClick={() => setOpenId(openId === job.id ? null : job.id)}
                >
                  {openId === job.id ? 'Hide details' : 'Details'}
                </Button>
                {state === 'failed' ? (
                  <Button variant="secondary" busy={retry.pending} aria-label={`Retry job ${job.id}`} onClick={() => void retry.run(job)}>
                    Retry
                  </Button>
                ) : null}
              </div>
            </td>
          </tr>
        )}
      />
      {page.data && total > PAGE ? (
        <div className="row">
          <Button variant="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Previous
          </Button>
          <span className="muted">
            {offset + 1}–{Math.min(offset + PAGE, total)} of {total.toLocaleString()}
          </span>
          <Button variant="secondary" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
            Next
          </Button>
        </div>
      ) : null}
      {openId ? <JobDetails detail={detail} time={time} /> : null}
    </Card>
  );
}

function JobDetails({ detail, time }: { detail: ReturnType<typeof useApi<JobDetail>>; time: (iso: string | null) => string }) {
  if (detail.error) return <ErrorBanner error={detail.error} onRetry={detail.reload} />;
  const job = detail.data;
  if (!job) return <p className="muted">Loading the job…</p>;
  return (
    <section aria-labelledby="job-detail" className="card">
      <h3 id="job-detail" className="flush-top">
        Job <code>{job.id}</code>
      </h3>
      <dl className="facts">
        <dt>Name</dt>
        <dd>{job.name}</dd>
        <dt>State</dt>
        <dd>{humanize(job.state)}</dd>
        <dt>Data (ids only)</dt>
        <dd>
          <code>{JSON.stringify(job.data)}</code>
        </dd>
        <dt>Created</dt>
        <dd>{time(job.createdAt)}</dd>
        {job.dueAt ? (
          <>
            <dt>Due</dt>
            <dd>{time(job.dueAt)}</dd>
          </>
        ) : null}
        <dt>Last started</dt>
        <dd>{time(job.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>{time(job.finishedAt)}</dd>
        <dt>Attempts</dt>
        <dd>
          {job.attemptsMade} of {job.attemptsAllowed}
        </dd>
        {job.failedReason ? (
          <>
            <dt>Reason</dt>
            <dd>{job.failedReason}</dd>
          </>
        ) : null}
      </dl>
      {job.stacktrace.length ? (
        <details>
          <summary>Stack of the last failure</summary>
          <pre className="stack">{job.stacktrace[job.stacktrace.length - 1]}</pre>
        </details>
      ) : null}
    </section>
  );
}
