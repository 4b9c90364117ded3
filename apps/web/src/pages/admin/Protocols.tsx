import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { ProcedureTypeResource as ProcedureType, ProtocolResource as Protocol } from '@aftercare/contracts';
import { api } from '../../api';
import { CONDITIONS } from '../../components/admin';
import { Section } from '../../components/AdminBits';
import { useProcedureTypes } from '../../components/clinic-data';
import { splitFieldErrors } from '../../components/form-errors';
import {
  describeOffset,
  kindName,
  newRow,
  problemsByStep,
  rowsToSteps,
  STEP_REACHES,
  stepToRow,
  type ProtocolStep,
  type RowProblems,
  type StepRow,
} from '../../components/protocol-steps';
import { ProtocolStepsEditor } from '../../components/ProtocolStepsEditor';
import { Badge, bindFields, Button, Card, DataTable, Empty, ErrorBanner, FormButtons, LoadedTable, Loading, Notice, Options, PageHeader, SelectField, TextAreaField, TextField } from '../../components/ui';
import { formatDate, humanize } from '../../format';
import { useAction, useApi, type Loaded } from '../../hooks';

/**
 * Follow-up protocols: what a care plan does after a procedure, step by step. An edit is a new
 * version (new care plans start from it; running plans keep theirs), so the history stays
 * readable. The protocol shown is in the address (?code=), so it can be linked and reloaded.
 */
export function ProtocolsPage() {
  const [params, setParams] = useSearchParams();
  const code = params.get('code');
  const [creating, setCreating] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const protocols = useApi<Protocol[]>('/api/protocols');
  const types = useProcedureTypes();
  const typeName = types.nameOf;

  function open(next: string | null, message: string | null = null) {
    const p = new URLSearchParams(params);
    if (next) p.set('code', next);
    else p.delete('code');
    setParams(p);
    setDone(message);
  }

  return (
    <>
      <PageHeader title="Protocols">
        {creating ? null : (
          <Button
            onClick={() => {
              setCreating(true);
              setDone(null);
            }}
          >
            New protocol
          </Button>
        )}
      </PageHeader>
      {done ? <Notice>{done}</Notice> : null}
      {creating ? (
        <NewProtocolForm
          types={types}
          onCancel={() => setCreating(false)}
          onCreated={(p) => {
            setCreating(false);
            protocols.reload();
            open(p.code, `${p.name} is created${p.active ? ' and active' : ''}: procedures it covers get a care plan from it.`);
          }}
        />
      ) : null}
      <Section title="All protocols" id="all-protocols">
        <LoadedTable
          list={protocols}
          label="All protocols"
          empty={<Empty title="No protocols yet.">Create one with “New protocol”: completed procedures need one to get a care plan.</Empty>}
          columns={['Name', 'Procedure type', 'Scope', 'Version', 'Status', 'Steps']}
          row={(p) => (
            <tr key={p.code} aria-current={p.code === code ? 'true' : undefined}>
              <td>
                <Link to={`?code=${encodeURIComponent(p.code)}`} onClick={() => setDone(null)}>
                  {p.name}
                </Link>
                <div className="muted">
                  <code>{p.code}</code>
                </div>
              </td>
              <td>{typeName(p.procedureType)}</td>
              <td>{scopeText(p)}</td>
              <td>{p.version}</td>
              <td>{p.active ? <Badge tone="good">Active</Badge> : <Badge tone="neutral">Inactive</Badge>}</td>
              <td>{p.steps.length}</td>
            </tr>
          )}
        />
      </Section>
      {code ? (
        <ProtocolDetail
          key={code}
          code={code}
          typeName={typeName}
          onChanged={(message) => {
            setDone(message);
            protocols.reload();
          }}
        />
      ) : protocols.data?.length ? (
        <p className="muted">Open a protocol by its name to see its steps and versions, and to edit it.</p>
      ) : null}
    </>
  );
}

function scopeText(p: Pick<Protocol, 'site' | 'condition'>): string {
  const parts = [p.site ? `site “${p.site}”` : null, p.condition ? humanize(p.condition).toLowerCase() : null].filter(Boolean);
  return parts.length ? parts.join(', ') : 'Every procedure of the type';
}

function windowText(step: ProtocolStep): string {
  if (step.kind !== 'follow_up_visit') return '—';
  const parts: string[] = [];
  if (step.window) parts.push(`days ${step.window.fromDays}–${step.window.toDays}`);
  if (step.bookAheadDays !== undefined) parts.push(`booked ${step.bookAheadDays} day${step.bookAheadDays === 1 ? '' : 's'} before`);
  return parts.length ? parts.join(', ') : 'Default window';
}

function StepsTable({ steps, label }: { steps: readonly ProtocolStep[]; label: string }) {
  return (
    <DataTable
      label={label}
      columns={['#', 'What', 'When', 'At (local time)', 'Reaches', 'Booking window', 'Key']}
      items={steps}
      row={(s, i) => (
        <tr key={s.key}>
          <td>{i + 1}</td>
          <td>{kindName(s.kind)}</td>
          <td>{describeOffset(s.offset)}</td>
          <td>{s.at ?? <span className="muted">Offset's own time</span>}</td>
          <td>{STEP_REACHES[s.kind] ?? '—'}</td>
          <td>{windowText(s)}</td>
          <td>
            <code>{s.key}</code>
          </td>
        </tr>
      )}
    />
  );
}

function ProtocolDetail({ code, typeName, onChanged }: { code: string; typeName: (code: string) => string; onChanged: (message: string) => void }) {
  const protocol = useApi<Protocol>(`/api/protocols/${encodeURIComponent(code)}`);
  const [editing, setEditing] = useState(false);
  const toggle = useAction(async (p: Protocol) => {
    const answer = await api<Protocol>(`/api/protocols/${encodeURIComponent(p.code)}`, { method: 'PATCH', body: { active: !p.active } });
    protocol.reload();
    onChanged(
      answer.active ? `${answer.name} is active again: new care plans it covers start from it.` : `${answer.name} is inactive: new care plans no longer use it; running plans go on.`,
    );
  });
  const p = protocol.data;
  // Opened from the table above: bring the protocol into view once it is there.
  const loaded = p !== undefined;
  useEffect(() => {
    if (loaded) document.getElementById('protocol-detail')?.scrollIntoView({ block: 'start' });
  }, [loaded]);
  return (
    <Section title={p ? p.name : 'Protocol'} id="protocol-detail">
      <ErrorBanner error={protocol.error} onRetry={protocol.reload} />
      {protocol.loading && !p ? <Loading /> : null}
      {p ? (
        <>
          <div className="card">
            <dl className="facts">
              <dt className="muted">Code</dt>
              <dd>
                <code>{p.code}</code>
              </dd>
              <dt className="muted">Procedure type</dt>
              <dd>{typeName(p.procedureType)}</dd>
              <dt className="muted">Site</dt>
              <dd>{p.site ?? 'Any'}</dd>
              <dt className="muted">Condition</dt>
              <dd>{p.condition ? humanize(p.condition) : 'Any'}</dd>
              <dt className="muted">Status</dt>
              <dd>
                {p.active ? <Badge tone="good">Active</Badge> : <Badge tone="neutral">Inactive</Badge>} <span className="muted">version {p.version}</span>
              </dd>
            </dl>
            <ErrorBanner error={toggle.error} />
            <div className="row">
              {editing ? null : <Button onClick={() => setEditing(true)}>New version</Button>}
              <Button variant={p.active ? 'danger' : 'secondary'} busy={toggle.pending} onClick={() => void toggle.run(p)}>
                {p.active ? 'Deactivate' : 'Activate'}
              </Button>
            </div>
          </div>
          {editing ? (
            <NewVersionForm
              protocol={p}
              onCancel={() => setEditing(false)}
              onSaved={(saved) => {
                setEditing(false);
                protocol.reload();
                onChanged(`Version ${saved.version} of ${saved.name} is saved: new care plans start from it; running plans keep their version.`);
              }}
            />
          ) : null}
          <h3>Steps of version {p.version}</h3>
          <StepsTable steps={p.steps} label={`Steps of ${p.name}`} />
          {p.versions?.length ? (
            <>
              <h3>Versions</h3>
              <DataTable
                label={`Versions of ${p.name}`}
                columns={['Version', 'Name', 'Steps', 'Note', 'Saved']}
                items={p.versions}
                row={(v) => (
                  <tr key={v.version}>
                    <td>
                      {v.version} {v.version === p.version ? <Badge tone="info">Current</Badge> : null}
                    </td>
                    <td>{v.name}</td>
                    <td>
                      <details>
                        <summary>{v.steps.length} steps</summary>
                        <ul className="compact-list">
                          {v.steps.map((s) => (
                            <li key={s.key}>
                              {kindName(s.kind)}: {describeOffset(s.offset)}
                              {s.at ? ` at ${s.at}` : ''}
                            </li>
                          ))}
                        </ul>
                      </details>
                    </td>
                    <td>{v.note ?? <span className="muted">—</span>}</td>
                    <td>{formatDate(v.createdAt)}</td>
                  </tr>
                )}
              />
            </>
          ) : null}
        </>
      ) : null}
    </Section>
  );
}

/** Steps ready to send, or the problems shown on their rows (the browser's first, then the server's). */
function useStepsForm(initial: () => StepRow[]) {
  const [rows, setRows] = useState<StepRow[]>(initial);
  const [localProblems, setLocalProblems] = useState<Record<string, RowProblems>>({});
  function check(): ProtocolStep[] | null {
    const result = rowsToSteps(rows);
    setLocalProblems(result.ok ? {} : result.problems);
    return result.ok ? result.steps : null;
  }
  return { rows, setRows, localProblems, check };
}

function NewVersionForm({ protocol, onSaved, onCancel }: { protocol: Protocol; onSaved: (p: Protocol) => void; onCancel: () => void }) {
  const steps = useStepsForm(() => protocol.steps.map(stepToRow));
  const [name, setName] = useState(protocol.name);
  const [note, setNote] = useState('');
  // The rows as sent: the server's `steps.2.key` counts in them, even if the rows change after.
  const [sentRows, setSentRows] = useState<StepRow[]>([]);
  const save = useAction(async (body: object) =>
    onSaved(await api<Protocol>(`/api/protocols/${encodeURIComponent(protocol.code)}/versions`, { method: 'POST', body })),
  );
  const server = problemsByStep(save.error, sentRows);
  const errors = splitFieldErrors(server.rest, ['name', 'note'] as const);

  function submit(event: FormEvent) {
    event.preventDefault();
    const checked = steps.check();
    if (!checked) return;
    setSentRows(steps.rows);
    void save.run({ ...(name.trim() !== protocol.name ? { name } : {}), steps: checked, note: note.trim() || null });
  }

  return (
    <Card id="new-version-title" title={`New version ${protocol.version + 1} of ${protocol.name}`} level={3} onSubmit={submit}>
      <ErrorBanner error={errors.rest} />
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} required />
      <ProtocolStepsEditor rows={steps.rows} onChange={steps.setRows} problems={{ ...server.byRow, ...steps.localProblems }} />
      <TextAreaField label="Why this change" value={note} onChange={(e) => setNote(e.target.value)} error={errors.fields.note} rows={2} hint="Optional; shown in the version history." />
      <FormButtons submit={save.pending ? 'Saving…' : `Save version ${protocol.version + 1}`} busy={save.pending} onCancel={onCancel} />
    </Card>
  );
}

function NewProtocolForm({ types, onCreated, onCancel }: { types: Loaded<ProcedureType[]>; onCreated: (p: Protocol) => void; onCancel: () => void }) {
  const steps = useStepsForm(() => {
    const first = { ...newRow([], 'aftercare'), days: '', hours: '2' };
    return [first, newRow([first], 'checkin')];
  });
  const [form, setForm] = useState({ code: '', name: '', procedureType: '', site: '', condition: '', note: '' });
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const [sentRows, setSentRows] = useState<StepRow[]>([]);
  const create = useAction(async (body: object) => onCreated(await api<Protocol>('/api/protocols', { method: 'POST', body })));
  const server = problemsByStep(create.error, sentRows);
  const errors = splitFieldErrors(server.rest, ['code', 'name', 'procedureType', 'site', 'condition', 'note'] as const);
  const field = bindFields(form, set, errors.fields);

  function submit(event: FormEvent) {
    event.preventDefault();
    const checked = steps.check();
    if (!checked) return;
    if (!form.procedureType) return create.setError('procedureType: choose the procedure type this protocol follows');
    setSentRows(steps.rows);
    void create.run({
      code: form.code.trim(),
      name: form.name,
      procedureType: form.procedureType,
      site: form.site.trim() || null,
      condition: form.condition || null,
      steps: checked,
      note: form.note.trim() || null,
    });
  }

  return (
    <Card id="new-protocol-title" title="New protocol" onSubmit={submit}>
      <ErrorBanner error={errors.rest} />
      <ErrorBanner error={types.error} onRetry={types.reload} />
      <div className="row">
        <TextField label="Name" {...field('name')} required hint="e.g. BMAC injection — knee" />
        <TextField label="Code" {...field('code')} required hint="Fixed once created, e.g. bmac-knee (a-z, 0-9, -)." autoComplete="off" />
        <SelectField label="Procedure type" {...field('procedureType')} required>
          <option value="">Choose a procedure type</option>
          <Options choices={types.data?.map((t) => [t.code, t.name])} />
        </SelectField>
      </div>
      <div className="row">
        <TextField label="Site" {...field('site')} hint="Optional: only procedures whose recorded site names it, e.g. knee." />
        <SelectField label="Condition" {...field('condition')} hint="Optional: only this condition.">
          <option value="">Any condition</option>
          <Options choices={CONDITIONS.map((c) => [c, humanize(c)])} />
        </SelectField>
      </div>
      <h3>Steps</h3>
      <ProtocolStepsEditor rows={steps.rows} onChange={steps.setRows} problems={{ ...server.byRow, ...steps.localProblems }} />
      <TextAreaField label="Note" {...field('note')} rows={2} hint="Optional; shown in the version history." />
      <FormButtons submit={create.pending ? 'Creating…' : 'Create protocol'} busy={create.pending} onCancel={onCancel} />
    </Card>
  );
}
