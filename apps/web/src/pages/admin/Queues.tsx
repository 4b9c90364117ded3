import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api';
import { serverNow } from '../../clock';
import type { FailedMessage, QueueHealth } from '../../components/admin';
import { Section, TableWrap, useClinicSettings } from '../../components/AdminBits';
import { Badge, Button, Empty, ErrorBanner, Loading, Notice, PageHeader } from '../../components/ui';
import { usePolling } from '../../components/usePolling';
import { formatDateTime, formatTime, humanize } from '../../format';
import { useAction, useApi } from '../../hooks';

/**
 * Queue health: every BullMQ queue's job counts, asked again every few seconds, and what failed
 * for good: failed jobs (sent round again per queue) and failed messages (sent again one by one,
 * where opt-outs and quiet hours still decide). Counts only: jobs carry ids, never patient data.
 */

/** How often the counts are asked for again (after the last answer: requests never overlap). */
const REFRESH_MS = 5_000;
const FAILED_MESSAGES = { status: 'failed', limit: 50 } as const;

const CHANNEL_NAMES = { sms: 'SMS', email: 'E-mail' } as const;

function count(n: number | null): string {
  return n === null ? '—' : n.toLocaleString();
}

/** Queue names are listed with their Redis Cluster hash tag: '{care-plan-steps}'. */
function queueLabel(name: string): string {
  return name.replace(/^\{(.*)\}$/, '$1');
}

export function QueuesPage() {
  const queues = usePolling<QueueHealth[]>('/api/admin/queues', REFRESH_MS);
  const messages = useApi<FailedMessage[]>('/api/messages', FAILED_MESSAGES);
  const clinic = useClinicSettings();
  const timeZone = clinic.data?.timezone;
  const [done, setDone] = useState<string | null>(null);
  const [retrying, setRetrying] = useState<string | null>(null);

  const retryJobs = useAction(async (queue: QueueHealth) => {
    setRetrying(queue.name);
    try {
      const answer = await api<{ retried: number }>(`/api/admin/queues/${encodeURIComponent(queue.name)}/retry-failed`, { method: 'POST' });
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
          {updatedAt ? `Updated at ${formatTime(updatedAt, timeZone)}; refreshed every ${REFRESH_MS / 1000} s.` : 'Loading…'}
        </span>
      </PageHeader>
      {done ? <Notice>{done}</Notice> : null}
      <ErrorBanner error={retryJobs.error} />
      <ErrorBanner error={retryMessage.error} />
      {queues.data ? (
        <ul className="counts" aria-label="Summary" style={{ listStyle: 'none', padding: 0 }}>
          <li className={`count ${totalFailed ? 'count-bad' : 'count-info'}`}>
            <strong>{totalFailed}</strong>
            failed jobs
          </li>
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
        {queues.error ? <ErrorBanner error={`${queues.error}${queues.data ? ' The counts below are from the last answer.' : ''}`} onRetry={queues.refresh} /> : null}
        {!queues.data && !queues.error ? <Loading /> : null}
        {queues.data && queues.data.length === 0 ? <Empty title="No queues reported.">The services may still be starting; this page asks again every few seconds.</Empty> : null}
        {queues.data && queues.data.length > 0 ? (
          <TableWrap label="Queues">
            <table>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col">Service</th>
                  <th scope="col">State</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">Delayed</th>
                  <th scope="col">Active</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Completed (7 days)</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {queues.data.map((q) => (
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
                    <td>{q.failed ? <strong style={{ color: 'var(--bad)' }}>{count(q.failed)} failed</strong> : count(q.failed)}</td>
                    <td>{count(q.completed)}</td>
                    <td>
                      <Button variant="secondary" disabled={!q.failed || retrying !== null} busy={retrying === q.name} onClick={() => void retryJobs.run(q)}>
                        {retrying === q.name ? 'Retrying…' : 'Retry failed jobs'}
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
        <p className="hint">
          Waiting: ready to run now. Delayed: waiting for their time (a reminder next week, a retry's back-off). Failed: out of attempts; kept 30 days.
        </p>
      </Section>

      <Section title="Failed messages" id="failed-messages">
        <div className="row" style={{ marginBottom: '0.5rem' }}>
          <Button variant="secondary" busy={messages.loading} onClick={messages.reload}>
            {messages.loading ? 'Refreshing…' : 'Refresh failed messages'}
          </Button>
        </div>
        <ErrorBanner error={messages.error} onRetry={messages.reload} />
        {messages.loading && !messages.data ? <Loading /> : null}
        {messages.data && messages.data.length === 0 ? <Empty title="No failed messages.">Every message went out or is on its way.</Empty> : null}
        {messages.data && messages.data.length > 0 ? (
          <TableWrap label="Failed messages">
            <table>
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Message</th>
                  <th scope="col">Patient</th>
                  <th scope="col">Error</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">History</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {messages.data.map((m) => (
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
                        <details>
                          <summary>{m.statusHistory.length} changes</summary>
                          <ol style={{ margin: '0.3rem 0 0', paddingLeft: '1.1rem' }}>
                            {m.statusHistory.map((h, i) => (
                              <li key={i}>
                                {humanize(h.status)} · {formatDateTime(h.at, timeZone)}
                                {h.error ? ` · ${h.error}` : ''}
                                <span className="muted"> ({h.source})</span>
                              </li>
                            ))}
                          </ol>
                        </details>
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
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </Section>
    </>
  );
}
