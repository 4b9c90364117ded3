import { useState, type FormEvent } from 'react';
import type { ClinicResourceResource as ClinicResource, ProcedureTypeResource as ProcedureType } from '@aftercare/contracts';
import { api } from '../../api';
import { ActionDialog } from '../../components/ActionDialog';
import { Section } from '../../components/AdminBits';
import { useProcedureTypes } from '../../components/clinic-data';
import { formatRequirements, numberOrText, parseCodeList, parseRequirements, toCode } from '../../components/clinic-setup';
import { splitFieldErrors } from '../../components/form-errors';
import { Badge, bindFields, Button, Card, Empty, ErrorBanner, FormButtons, LoadedTable, Notice, SelectField, TextAreaField, TextField } from '../../components/ui';
import { humanize } from '../../format';
import { useAction, useApi } from '../../hooks';

/**
 * Rooms and equipment, and the procedure types that need them: a procedure holds one active
 * resource of each category it requires (with all the features asked for) for its whole time
 * and its buffer, so booking never double-books the procedure room or the centrifuge.
 */

const KIND_NAMES = { room: 'Room', equipment: 'Equipment' } as const;

export function ResourcesSection() {
  const resources = useApi<ClinicResource[]>('/api/resources');
  const [editing, setEditing] = useState<ClinicResource | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const toggle = useAction(async (resource: ClinicResource) => {
    const answer = await api<ClinicResource>(`/api/resources/${resource.id}`, { method: 'PATCH', body: { active: !resource.active } });
    setDone(answer.active ? `${answer.name} can be booked again.` : `${answer.name} is out of use: no new bookings hold it.`);
    resources.reload();
  });
  const categories = [...new Set((resources.data ?? []).map((r) => r.category))].sort();

  return (
    <Section title="Rooms and equipment" id="resources">
      {done ? <Notice>{done}</Notice> : null}
      <ErrorBanner error={toggle.error} />
      <LoadedTable
        list={resources}
        label="Rooms and equipment"
        empty={<Empty title="No rooms or equipment yet.">Add the procedure room and the centrifuge below; procedure types name what they need.</Empty>}
        columns={['Name', 'Kind', 'Category', 'Features', 'Status', 'Actions']}
        row={(r) => (
          <tr key={r.id}>
            <td>{r.name}</td>
            <td>{KIND_NAMES[r.kind]}</td>
            <td>
              <code>{r.category}</code>
            </td>
            <td>{r.features.length ? r.features.join(', ') : <span className="muted">—</span>}</td>
            <td>{r.active ? <Badge tone="good">In use</Badge> : <Badge tone="neutral">Out of use</Badge>}</td>
            <td>
              <div className="row row-tight">
                <Button variant="secondary" onClick={() => setEditing(r)}>
                  Edit
                </Button>
                <Button variant="secondary" busy={toggle.pending} onClick={() => void toggle.run(r)}>
                  {r.active ? 'Take out of use' : 'Put back in use'}
                </Button>
              </div>
            </td>
          </tr>
        )}
      />
      <AddResourceForm
        categories={categories}
        onAdded={(r) => {
          setDone(`${r.name} is added.`);
          resources.reload();
        }}
      />
      {editing ? (
        <EditResourceDialog
          resource={editing}
          onClose={() => setEditing(null)}
          onSaved={(r) => {
            setEditing(null);
            setDone(`${r.name} is saved.`);
            resources.reload();
          }}
        />
      ) : null}
    </Section>
  );
}

function AddResourceForm({ categories, onAdded }: { categories: readonly string[]; onAdded: (resource: ClinicResource) => void }) {
  const [form, setForm] = useState({ kind: 'room' as 'room' | 'equipment', category: '', name: '', features: '' });
  const [local, setLocal] = useState<string | null>(null);
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const add = useAction(async (features: string[]) => {
    const answer = await api<ClinicResource>('/api/resources', { method: 'POST', body: { kind: form.kind, category: toCode(form.category), name: form.name, features } });
    setForm({ kind: form.kind, category: '', name: '', features: '' });
    onAdded(answer);
  });
  const errors = splitFieldErrors(add.error, ['kind', 'category', 'name', 'features'] as const);
  const field = bindFields(form, set, errors.fields);

  function submit(event: FormEvent) {
    event.preventDefault();
    const features = parseCodeList(form.features);
    setLocal(features.ok ? null : features.error);
    if (features.ok) void add.run(features.value);
  }

  return (
    <Card id="add-resource-title" title="Add a room or equipment" level={3} onSubmit={submit}>
      <ErrorBanner error={errors.rest} />
      <div className="row">
        <SelectField label="Kind" {...field('kind')}>
          <option value="room">Room</option>
          <option value="equipment">Equipment</option>
        </SelectField>
        <TextField label="Name" {...field('name')} required hint="As staff call it, e.g. Procedure room 2." />
        <TextField
          label="Category"
          {...field('category')}
          required
          list="resource-categories"
          hint={categories.length ? `What procedure types ask for, e.g. ${categories.slice(0, 3).join(', ')}.` : 'What procedure types ask for, e.g. procedure_room.'}
        />
        <TextField label="Features" {...field('features')} error={local ?? errors.fields.features} hint="Optional, separated by commas, e.g. ultrasound." />
      </div>
      <datalist id="resource-categories">
        {categories.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
      <Button type="submit" busy={add.pending}>
        {add.pending ? 'Adding…' : 'Add room or equipment'}
      </Button>
    </Card>
  );
}

function EditResourceDialog({ resource, onClose, onSaved }: { resource: ClinicResource; onClose: () => void; onSaved: (r: ClinicResource) => void }) {
  const [name, setName] = useState(resource.name);
  const [features, setFeatures] = useState(resource.features.join(', '));
  const [local, setLocal] = useState<string | null>(null);
  const save = useAction(async (list: string[]) => onSaved(await api<ClinicResource>(`/api/resources/${resource.id}`, { method: 'PATCH', body: { name, features: list } })));
  const errors = splitFieldErrors(save.error, ['name', 'features'] as const);
  function submit() {
    const parsed = parseCodeList(features);
    setLocal(parsed.ok ? null : parsed.error);
    if (parsed.ok) void save.run(parsed.value);
  }
  return (
    <ActionDialog title={`Edit ${resource.name}`} onClose={onClose} onSubmit={submit}>
      <ErrorBanner error={errors.rest} />
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} required />
      <TextField label="Features" value={features} onChange={(e) => setFeatures(e.target.value)} error={local ?? errors.fields.features} hint="Separated by commas, e.g. ultrasound." />
      <p className="hint">
        Category: <code>{resource.category}</code> (fixed: procedure types ask for it by this code).
      </p>
      <FormButtons submit={save.pending ? 'Saving…' : 'Save'} busy={save.pending} onCancel={onClose} />
    </ActionDialog>
  );
}

function needsText(type: ProcedureType): string {
  if (!type.requires.length) return '—';
  return type.requires.map((r) => (r.features?.length ? `${humanize(r.category)} with ${r.features.join(', ')}` : humanize(r.category))).join('; ');
}

export function ProcedureTypesSection() {
  const types = useProcedureTypes();
  const [editing, setEditing] = useState<ProcedureType | null>(null);
  const [done, setDone] = useState<string | null>(null);
  return (
    <Section title="Procedure types" id="procedure-types">
      {done ? <Notice>{done}</Notice> : null}
      <LoadedTable
        list={types}
        label="Procedure types"
        empty={<Empty title="No procedure types yet.">Add one below; nothing can be booked without one.</Empty>}
        columns={['Name', 'Code', 'Duration', 'Buffer after', 'Needs', 'Actions']}
        row={(t) => (
          <tr key={t.code}>
            <td>{t.name}</td>
            <td>
              <code>{t.code}</code>
            </td>
            <td>{t.durationMinutes} min</td>
            <td>{t.bufferAfterMinutes ? `${t.bufferAfterMinutes} min` : 'None'}</td>
            <td>{needsText(t)}</td>
            <td>
              <Button variant="secondary" onClick={() => setEditing(t)}>
                Edit
              </Button>
            </td>
          </tr>
        )}
      />
      <ProcedureTypeForm
        key="new"
        onSaved={(t) => {
          setDone(`${t.name} is added; it can be booked now.`);
          types.reload();
        }}
      />
      {editing ? (
        <ProcedureTypeForm
          type={editing}
          onCancel={() => setEditing(null)}
          onSaved={(t) => {
            setEditing(null);
            setDone(`${t.name} is saved. Appointments booked before keep their length.`);
            types.reload();
          }}
        />
      ) : null}
    </Section>
  );
}

/** Adds a procedure type (a form on the page), or edits one (`type`, in a dialog). */
function ProcedureTypeForm({ type, onSaved, onCancel }: { type?: ProcedureType; onSaved: (t: ProcedureType) => void; onCancel?: () => void }) {
  const [form, setForm] = useState({
    code: type?.code ?? '',
    name: type?.name ?? '',
    durationMinutes: type ? String(type.durationMinutes) : '',
    bufferAfterMinutes: type ? String(type.bufferAfterMinutes) : '0',
    requires: type ? formatRequirements(type.requires) : '',
  });
  const [local, setLocal] = useState<string | null>(null);
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const save = useAction(async (requires: object[]) => {
    const body = {
      name: form.name,
      durationMinutes: numberOrText(form.durationMinutes),
      bufferAfterMinutes: numberOrText(form.bufferAfterMinutes || '0'),
      requires,
    };
    const answer = type
      ? await api<ProcedureType>(`/api/procedure-types/${encodeURIComponent(type.code)}`, { method: 'PATCH', body })
      : await api<ProcedureType>('/api/procedure-types', { method: 'POST', body: { code: toCode(form.code), ...body } });
    if (!type) setForm({ code: '', name: '', durationMinutes: '', bufferAfterMinutes: '0', requires: '' });
    onSaved(answer);
  });
  const errors = splitFieldErrors(save.error, ['code', 'name', 'durationMinutes', 'bufferAfterMinutes', 'requires'] as const);
  const field = bindFields(form, set, errors.fields);

  function submit(event?: FormEvent) {
    event?.preventDefault();
    const requires = parseRequirements(form.requires);
    setLocal(requires.ok ? null : requires.error);
    if (requires.ok) void save.run(requires.value);
  }

  const fields = (
    <>
      <ErrorBanner error={errors.rest} />
      <div className="row">
        {type ? null : (
          <TextField label="Code" {...field('code')} required hint="Fixed once added, e.g. prp_injection (a-z, 0-9, _)." autoComplete="off" />
        )}
        <TextField label="Name" {...field('name')} required />
        <TextField label="Duration (minutes)" inputMode="numeric" {...field('durationMinutes')} required hint="5 to 720." />
        <TextField label="Buffer after (minutes)" inputMode="numeric" {...field('bufferAfterMinutes')} hint="Cleaning and turnover: the room stays held (0 to 240)." />
      </div>
      <TextAreaField
        label="Rooms and equipment needed"
        {...field('requires')}
        error={local ?? errors.fields.requires}
        rows={3}
        hint="One a line: a category, then any features after a colon, e.g. “procedure_room: ultrasound” and “centrifuge”. Empty: needs none."
      />
    </>
  );

  if (type) {
    return (
      <ActionDialog title={`Edit ${type.name}`} onClose={() => onCancel?.()} onSubmit={submit}>
        {fields}
        <FormButtons submit={save.pending ? 'Saving…' : 'Save procedure type'} busy={save.pending} onCancel={() => onCancel?.()} />
      </ActionDialog>
    );
  }
  return (
    <Card id="add-procedure-type-title" title="Add a procedure type" level={3} onSubmit={submit}>
      {fields}
      <Button type="submit" busy={save.pending}>
        {save.pending ? 'Adding…' : 'Add procedure type'}
      </Button>
    </Card>
  );
}
