import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, describeError } from '../../api';
import { syncServerClock } from '../../clock';
import type { AdvanceResult, ClockReading } from '../../components/admin';
import { Section } from '../../components/AdminBits';
import { useClinic } from '../../components/clinic-data';
import { advanceProblem, describeDuration, describeSpan, parseDuration, QUICK_ADVANCES } from '../../components/durations';
import { splitFieldErrors } from '../../components/form-errors';
import { Button, DataTable, ErrorBanner, Loading, Notice, PageHeader, TextField } from '../../components/ui';
import { formatDateTime } from '../../format';

/**
 * The virtual clock (outside production only): where the system's "now" is, and moving it
 * forward so that weeks of follow-up run in a demo or a test. Everything that comes due runs
 * through the ordinary queues, in due-time order, before the answer comes: that can take
 * seconds, so the page shows that it is working. The clock never goes back.
 */

type Reading = { state: 'loading' } | { state: 'off' } | { state: 'error'; error: string } | { state: 'on'; clock: ClockReading };

export function ClockPage() {
  const clinic = useClinic();
  const timeZone = clinic.data?.timezone;
  const [reading, setReading] = useState<Reading>({ state: 'loading' });
  const [by, setBy] = useState('');
  const [pending, setPending] = useState(false);
  const [elapsed, setElapsed] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ from: string; by: string; answer: AdvanceResult } | null>(null);

  const load = useCallback(() => {
    setReading({ state: 'loading' });
    api<ClockReading>('/api/dev/clock')
      .then((clock) => setReading({ state: 'on', clock }))
      .catch((e: unknown) => setReading(e instanceof ApiError && e.status === 404 ? { state: 'off' } : { state: 'error', error: describeError(e) }));
  }, []);
  useEffect(load, [load]);

  // Seconds since the advance started, while it runs.
  useEffect(() => {
    if (!pending) return;
    const started = Date.now();
    setElapsed(0);
    const timer = setInterval(() => setElapsed(Math.floor((Date.now() - started) / 1000)), 1000);
    return () => clearInterval(timer);
  }, [pending]);

  async function advance(event: FormEvent) {
    event.preventDefault();
    if (pending || reading.state !== 'on') return;
    const problem = advanceProblem(by);
    if (problem) return setError(`by: ${problem}`);
    const iso = parseDuration(by)!.iso;
    const from = reading.clock.now;
    setPending(true);
    setError(null);
    setResult(null);
    try {
      const answer = await api<AdvanceResult>('/api/dev/clock/advance', { method: 'POST', body: { by: iso } });
      setResult({ from, by: iso, answer });
      setReading({ state: 'on', clock: { now: answer.now, offsetMs: reading.clock.offsetMs + (Date.parse(answer.now) - Date.parse(from)) } });
      // Every page counts "today" from the server's clock: take the new time at once.
      await syncServerClock().catch(() => undefined);
      load();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setReading({ state: 'off' });
      else setError(describeError(e));
    } finally {
      setPending(false);
    }
  }

  const errors = splitFieldErrors(error, ['by'] as const);
  const parsed = parseDuration(by);
  const target = parsed && reading.state === 'on' && !advanceProblem(by) ? new Date(Date.parse(reading.clock.now) + parsed.ms).toISOString() : null;

  return (
    <>
      <PageHeader title="Virtual clock" />
      {reading.state === 'loading' ? <Loading /> : null}
      {reading.state === 'error' ? <ErrorBanner error={reading.error} onRetry={load} /> : null}
      {reading.state === 'off' ? (
        <Notice>The virtual clock is off in production. Time there is the real time, and nothing can move it.</Notice>
      ) : null}
      {reading.state === 'on' ? (
        <>
          <Section title="Now" id="now">
            <div className="card">
              <p style={{ fontSize: '1.4rem', fontWeight: 700, margin: '0 0 0.25rem' }}>{formatDateTime(reading.clock.now, timeZone)}</p>
              <p className="muted" style={{ margin: 0 }}>
                {timeZone ? `Clinic time (${timeZone}). ` : ''}
                {reading.clock.offsetMs > 0 ? `${describeSpan(reading.clock.offsetMs)} ahead of the real time.` : 'The same as the real time.'}
              </p>
            </div>
          </Section>
          <Section title="Move the clock forward" id="advance">
            <form className="card" onSubmit={advance} noValidate aria-label="Move the clock forward">
              <ErrorBanner error={errors.rest} />
              <div className="row">
                <TextField
                  label="Advance by"
                  value={by}
                  onChange={(e) => {
                    setBy(e.target.value);
                    setError(null);
                  }}
                  error={errors.fields.by}
                  placeholder="P1D"
                  autoComplete="off"
                  spellCheck={false}
                  disabled={pending}
                  hint={
                    target && parsed
                      ? `${describeDuration(parsed)}: to ${formatDateTime(target, timeZone)}.`
                      : 'An ISO 8601 duration: P1D is a day, PT2H two hours, P2W two weeks, P1DT12H a day and a half.'
                  }
                />
              </div>
              <div className="row" role="group" aria-label="Quick durations" style={{ marginBottom: '0.75rem' }}>
                {QUICK_ADVANCES.map((q) => (
                  <Button
                    key={q.by}
                    variant="secondary"
                    disabled={pending}
                    aria-pressed={parsed?.iso === q.by}
                    onClick={() => {
                      setBy(q.by);
                      setError(null);
                    }}
                  >
                    {q.label}
                  </Button>
                ))}
              </div>
              <Button type="submit" busy={pending}>
                {pending ? 'Advancing…' : 'Advance clock'}
              </Button>
              <p className="hint">The clock never goes back. Reminders, care-plan steps and messages that come due run through their queues, in order.</p>
              {pending ? (
                <div role="status" style={{ marginTop: '0.5rem' }}>
                  <progress aria-label="Advancing the clock" style={{ width: '100%' }} />
                  <p style={{ margin: '0.25rem 0 0' }}>
                    Advancing the clock… {elapsed} s. Each job that comes due runs before the clock moves past it; a long jump can take a minute.
                  </p>
                </div>
              ) : null}
            </form>
          </Section>
          {result ? <AdvanceOutcome result={result} timeZone={timeZone} /> : null}
        </>
      ) : null}
    </>
  );
}

function AdvanceOutcome({ result, timeZone }: { result: { from: string; by: string; answer: AdvanceResult }; timeZone: string | undefined }) {
  const { answer } = result;
  const parsed = parseDuration(result.by);
  return (
    <Section title="What ran" id="what-ran">
      <div className="card" role="status">
        <p className="flush-top">
          The clock moved {parsed ? `by ${describeDuration(parsed)} ` : ''}from {formatDateTime(result.from, timeZone)} to <strong>{formatDateTime(answer.now, timeZone)}</strong>.
        </p>
        <ul className="counts" aria-label="Counts">
          <li className="count count-info">
            <strong>{answer.ranDueTimes}</strong>
            due time{answer.ranDueTimes === 1 ? '' : 's'} ran
          </li>
          <li className={`count ${answer.stuck.length ? 'count-bad' : 'count-info'}`}>
            <strong>{answer.stuck.length}</strong>
            stuck
          </li>
        </ul>
        {answer.ranDueTimes === 0 ? <p className="muted">Nothing came due in that time.</p> : null}
      </div>
      {answer.stuck.length ? (
        <>
          <p>These did not run: see the queues page for failed jobs.</p>
          <DataTable
            label="Stuck due times"
            columns={['Service', 'Due at', 'Why']}
            items={answer.stuck}
            row={(s, i) => (
              <tr key={i}>
                <td>{s.service === '*' ? 'All' : s.service}</td>
                <td>{formatDateTime(s.dueAt, timeZone)}</td>
                <td>{s.reason}</td>
              </tr>
            )}
          />
        </>
      ) : null}
    </Section>
  );
}
