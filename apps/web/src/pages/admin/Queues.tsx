import { useState } from 'react';
import { Link } from 'react-router';
import type { MessageResource as FailedMessage, QueueHealthResource as QueueHealth, RetryFailedJobsResource } from '@aftercare/contracts';
import { api } from '../../api';
import { serverNow } from '../../clock';
import { Section } from '../../components/AdminBits';
import { useClinic } from '../../components/clinic-data';
import { MessageHistory } from '../../components/MessageHistory';
import { Badge, Button, Empty, ErrorBanner, LoadedTable, Notice, PageHeader } from '../../components/ui';
import { usePolling } from '../../components/usePolling';
import { CHANNEL_NAMES } from '../../components/words';
import { formatDateTime, formatTime, humanize } from '../../format';
import { useAction, useApi } from '../../hooks';
import { QueueJobs } from './QueueJobs';

/**
 * Queue health: every BullMQ queue's job counts, asked again every few seconds, each queue's jobs
 * per state with a job's detail, and what failed for good: failed jobs (sent round again one by
 * one or per queue) and failed messages (sent again one by one, where opt-outs and quiet hours
 * still decide). A queue can be paused and resumed; nothing runs a job before its time. Jobs
 * carry ids, never patient data.
 */

/** How often the counts are asked for again (after the last answer: requests never overlap). */
const REFRESH_MS = 5_000;
const FAILED_MESSAGES = { status: 'failed', limit: 50 } as const;

function count(n: number | null): string {
  return n === null ? '—' : n.toLocaleString();
}

/** Queue names are listed with their Redis Cluster hash tag: '{care-plan-steps}'. */
function queueLabel(name: string): string {
  return name.replace(/^\{(.*)\}$/, '$1');
}

export function QueuesPage() {
  // The queues are every clinic's: only the admins of the clinic that runs the deployment see them.
  const me = useApi<{ operator?: boolean }>('/api/me');
  const operator = me.data?.operator === true;
  const queues = usePolling<QueueHealth[]>(operator ? '/api/admin/queues' : null, REFRESH_MS);
  const messages = useApi<FailedMessage[]>('/api/messages', FAILED_MESSAGES);
  const clinic = useClinic();
  const timeZone = clinic.data?.timezone;
  const [done, setDone] = useState<string | null>(null);
  const [retrying, setRetrying] = useState<string | null>(null);
  const [shown, setShown] = useState<QueueHealth['name'] | null>(null);

  const retryJobs = useAction(async (queue: QueueHealth) => {
    setRetrying(queue.name);
    try {
      const answer = await api<RetryFailedJobsResource>(`/api/admin/queues/${encodeURIComponent(queue.name)}/retry-failed`, { method: 'POST' });
      setDone(
        answer.retried
          ? `${answer.retried} failed job${answer.retried === 1 ? '' : 's'} of ${queueLabel(queue.name)} ${answer.retried === 1 ? 'is' : 'are'} running again.`
          : `No failed jobs were left in ${queueLabel(queue.name)}.`,
      );
      queues.refresh();
    } finally {
      setRetrying(null);
    }
  });
  const setPaused = useAction(async (queue: QueueHealth, paused: boolean) => {
    await api(`/api/admin/queues/${encodeURIComponent(queue.name)}/${paused ? 'pause' : 'resume'}`, { method: 'POST' });
    setDone(
      paused
        ? `${queueLabel(queue.name)} is paused: no new jobs start, on any instance, until it is resumed.`
        : `${queueLabel(queue.name)} is running again; what came due meanwhile runs now.`,
    );
    queues.refresh();
  });
  const retryMessage = useAction(async (message: FailedMessage) => {
    await api(`/api/messages/${message.id}/retry`, { method: 'POST' });
    setDone(`The ${humanize(message.kind).toLowerCase()} ${CHANNEL_NAMES[message.channel]} is queued again; an opt-out or quiet hours still hold it back.`);
    messages.reload();
    queues.refresh();
  });

  // In the system's time (the virtual clock may be ahead of this computer's), as every time here.
  const updatedAt = queues.updatedAt ? new Date(queues.updatedAt.getTime() + serverNow().getTime() - Date.now()).toISOString() : null;
  const totalFailed = (queues.data ?? []).reduce((sum, q) => sum + (q.failed ?? 0), 0);
  const silent = (queues.data ?? []).filter((q) => q.error).length;

  return (
    <>
      <PageHeader title="Queue health">
        <span className="muted" aria-live="off">
          {me.error || (me.data && !operator) ? null : updatedAt ? `Updated at ${formatTime(updatedAt, timeZone)}; refreshed every ${REFRESH_MS / 1000} s.` : 'Loading…'}
        </span>
      </PageHeader>
      {done ? <Notice>{done}</Notice> : null}
      <ErrorBanner error={retryJobs.error} />
      <ErrorBanner error={setPaused.error} />
      <ErrorBanner error={retryMessage.error} />
      <ErrorBanner error={me.error} onRetry={me.reload} />
      {queues.data || (me.data && !operator) ? (
        <ul className="counts" aria-label="Summary">
          {queues.data ? (
            <li className={`count ${totalFailed ? 'count-bad' : 'count-info'}`}>
              <strong>{totalFailed}</strong>
              failed jobs
            </li>
          ) : null}
          <li className={`count ${messages.data?.length ? 'count-bad' : 'count-info'}`}>
            <strong>
              {messages.data ? messages.data.length : '…'}
              {messages.data?.length === FAILED_MESSAGES.limit ? '+' : ''}
            </strong>
            failed messages
          </li>
          {silent ? (
            <li className="count count-warn">
              <strong>{silent}</strong>
              queues not answering
            </li>
          ) : null}
        </ul>
      ) : null}

      <Section title="Queues" id="queues">
        {me.data && !operator ? (
          <p className="hint">
            The queues are shared by every clinic on this deployment: the admins of the clinic that runs it see and manage them. Your clinic's failed messages are below.
          </p>
        ) : (
          <>
            <LoadedTable
              list={{
                data: queues.data,
                error: queues.error ? `${queues.error}${queues.data ? ' The counts below are from the last answer.' : ''}` : null,
                loading: !me.error && !queues.data && !queues.error,
                reload: queues.refresh,
              }}
              label="Queues"
              empty={<Empty title="No queues reported.">The services may still be starting; this page asks again every few seconds.</Empty>}
              columns={['Queue', 'Service', 'State', 'Waiting', 'Delayed', 'Active', 'Failed', 'Completed (7 days)', 'Actions']}
              row={(q) => (
                <tr key={q.name}>
                  <td>
                    <code>{queueLabel(q.name)}</code>
                  </td>
                  <td>{humanize(q.service)}</td>
                  <td>
                    {q.error ? (
                      <>
                        <Badge tone="bad">Not answering</Badge>
                        <div className="muted">{q.error}</div>
                      </>
                    ) : q.paused ? (
                      <Badge tone="warn">Paused</Badge>
                    ) : (
                      <Badge tone="good">Running</Badge>
                    )}
                  </td>
                  <td>{count(q.waiting)}</td>
                  <td>{count(q.delayed)}</td>
                  <td>{count(q.active)}</td>
                  <td>{q.failed ? <strong className="text-bad">{count(q.failed)} failed</strong> : count(q.failed)}</td>
                  <td>{count(q.completed)}</td>
                  <td>
                    <div className="row">
                      <Button variant="secondary" aria-expanded={shown === q.name} aria-label={`Jobs of ${queueLabel(q.name)}`} disabled={Boolean(q.error)} onClick={() => setShown(shown === q.name ? null : q.name)}>
                        Jobs
                      </Button>
                      <Button variant="secondary" disabled={!q.failed || retrying !== null} busy={retrying === q.name} onClick={() => void retryJobs.run(q)}>
                        {retrying === q.name ? 'Retrying…' : 'Retry failed jobs'}
                      </Button>
                      {q.paused === null ? null : (
                        <Button variant="secondary" busy={setPaused.pending} aria-label={`${q.paused ? 'Resume' : 'Pause'} ${queueLabel(q.name)}`} onClick={() => void setPaused.run(q, !q.paused)}>
                          {q.paused ? 'Resume' : 'Pause'}
                        </Button>
                      )}
                    </div>
                  </td>
                </tr>
              )}
            />
            <p className="hint">
              Waiting: ready to run now. Delayed: waiting for their time (a reminder next week, a retry's back-off). Failed: out of attempts; kept 30 days. Pause stops every
              instance taking the queue's jobs (the running ones finish); times are the servers' own.
            </p>
            {shown ? <QueueJobs key={shown} queue={shown} label={queueLabel(shown)} timeZone={timeZone} onChanged={queues.refresh} /> : null}
          </>
        )}
      </Section>

      <Section title="Failed messages" id="failed-messages">
        <div className="row" style={{ marginBottom: '0.5rem' }}>
          <Button variant="secondary" busy={messages.loading} onClick={messages.reload}>
            {messages.loading ? 'Refreshing…' : 'Refresh failed messages'}
          </Button>
        </div>
        <LoadedTable
          list={messages}
          label="Failed messages"
          empty={<Empty title="No failed messages.">Every message went out or is on its way.</Empty>}
          columns={['Created', 'Message', 'Patient', 'Error', 'Attempts', 'History', 'Actions']}
          row={(m) => (
            <tr key={m.id}>
              <td>{formatDateTime(m.createdAt, timeZone)}</td>
              <td>
                {humanize(m.kind)}
                <div className="muted">{CHANNEL_NAMES[m.channel]}</div>
              </td>
              <td>{m.patientId ? <Link to={`/patients/${m.patientId}`}>Open patient</Link> : <span className="muted">—</span>}</td>
              <td>
                <Badge tone="bad">Failed</Badge> {m.error ?? 'No reason given'}
                {m.errorCode ? <span className="muted"> (code {m.errorCode})</span> : null}
                {m.numberUndeliverable ? <div className="muted">The carrier says this number cannot get SMS: check it with the patient.</div> : null}
              </td>
              <td>{m.attempts}</td>
              <td>
                {m.statusHistory.length ? (
                  <MessageHistory history={m.statusHistory} summary={`${m.statusHistory.length} changes`} timeZone={timeZone} showSource />
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td>
                <Button variant="secondary" busy={retryMessage.pending} onClick={() => void retryMessage.run(m)}>
                  Retry
                </Button>
              </td>
            </tr>
          )}
        />
      </Section>
    </>
  );
}
