import { useState, type FormEvent } from 'react';
import type { ClinicianResource } from '@aftercare/contracts';
import { api, type Role } from '../../api';
import { ActionDialog } from '../../components/ActionDialog';
import type { UserResource } from '../../components/admin';
import { Section } from '../../components/AdminBits';
import { useClinicians } from '../../components/clinic-data';
import { splitFieldErrors } from '../../components/form-errors';
import { Badge, bindFields, Button, Empty, ErrorBanner, FormButtons, LoadedTable, Notice, Options, PageHeader, SelectField, TextField, type Tone } from '../../components/ui';
import { formatDate } from '../../format';
import { useAction, useApi, useDraft } from '../../hooks';
import { ROLE_NAMES } from '../../layout';
import { useUser } from '../../session';

/**
 * The clinic's staff users: who may sign in, with which role, and which clinician a clinician
 * user is (their due list and appointments go by that link). Passwords are typed here but never
 * kept in a draft: they stay in memory until sent.
 */

const ROLES: readonly Role[] = ['front_desk', 'clinician', 'admin'];
const ROLE_CHOICES = ROLES.map((r) => [r, ROLE_NAMES[r]] as const);
/** The gateway's minimum (apps/gateway/src/users/users.dto.ts): length beats composition rules. */
const PASSWORD_MIN = 12;

const ROLE_TONES: Record<Role, Tone> = { front_desk: 'neutral', clinician: 'info', admin: 'warn' };

function tooShort(password: string): string | null {
  return password.length < PASSWORD_MIN ? `password must be at least ${PASSWORD_MIN} characters long` : null;
}

export function UsersPage() {
  const me = useUser();
  const users = useApi<UserResource[]>('/api/users');
  const clinicians = useClinicians();
  const [done, setDone] = useState<string | null>(null);
  const [dialog, setDialog] = useState<{ user: UserResource; what: 'edit' | 'password' } | null>(null);
  const toggle = useAction(async (user: UserResource) => {
    const updated = await api<UserResource>(`/api/users/${user.id}`, { method: 'PATCH', body: { disabled: !user.disabled } });
    setDone(updated.disabled ? `${updated.name} is disabled and can no longer sign in. “Enable” lets them in again.` : `${updated.name} can sign in again.`);
    users.reload();
  });

  function clinicianName(id: string | null): string {
    if (!id) return '—';
    if (!clinicians.data) return '…';
    // GET /api/clinicians lists active clinicians only.
    return clinicians.data.find((c) => c.id === id)?.name ?? 'A clinician no longer active';
  }

  function saved(message: string) {
    setDialog(null);
    setDone(message);
    users.reload();
  }

  return (
    <>
      <PageHeader title="Users" />
      {done ? <Notice>{done}</Notice> : null}
      <ErrorBanner error={toggle.error} />
      <ErrorBanner error={clinicians.error} onRetry={clinicians.reload} />
      <Section title="Staff users">
        <LoadedTable
          list={users}
          label="Staff users"
          empty={<Empty title="No users yet.">Add one with the form below.</Empty>}
          columns={['Name', 'E-mail', 'Role', 'Clinician', 'Status', 'Added', 'Actions']}
          row={(user) => {
            const self = user.id === me.id;
            return (
              <tr key={user.id}>
                <td>
                  {user.name}
                  {self ? <span className="muted"> (you)</span> : null}
                </td>
                <td>{user.email}</td>
                <td>
                  <Badge tone={ROLE_TONES[user.role]}>{ROLE_NAMES[user.role]}</Badge>
                </td>
                <td>{user.role === 'clinician' ? clinicianName(user.clinicianId) : '—'}</td>
                <td>{user.disabled ? <Badge tone="bad">Disabled</Badge> : <Badge tone="good">Active</Badge>}</td>
                <td>{formatDate(user.createdAt)}</td>
                <td>
                  <div className="row row-tight">
                    <Button variant="secondary" onClick={() => setDialog({ user, what: 'edit' })}>
                      Edit
                    </Button>
                    <Button variant="secondary" onClick={() => setDialog({ user, what: 'password' })}>
                      Set password
                    </Button>
                    {/* An admin cannot lock themselves out (the API answers 409): another admin can. */}
                    {self ? null : (
                      <Button variant={user.disabled ? 'secondary' : 'danger'} busy={toggle.pending} onClick={() => void toggle.run(user)}>
                        {user.disabled ? 'Enable' : 'Disable'}
                      </Button>
                    )}
                  </div>
                </td>
              </tr>
            );
          }}
        />
      </Section>
      <Section title="Add a user">
        <AddUserForm clinicians={clinicians.data ?? []} onAdded={(user) => saved(`${user.name} is added as ${ROLE_NAMES[user.role].toLowerCase()}; they can sign in with ${user.email}.`)} />
      </Section>
      {dialog?.what === 'edit' ? (
        <EditUserDialog
          user={dialog.user}
          self={dialog.user.id === me.id}
          clinicians={clinicians.data ?? []}
          onClose={() => setDialog(null)}
          onSaved={(user) => saved(`${user.name} is saved.`)}
        />
      ) : null}
      {dialog?.what === 'password' ? (
        <PasswordDialog user={dialog.user} onClose={() => setDialog(null)} onSaved={(user) => saved(`${user.name} has a new password. Tell them in person, not by e-mail.`)} />
      ) : null}
    </>
  );
}

/** A new password, never kept in a draft: it stays in memory until sent. */
function PasswordField({ label, value, onChange, error, more }: { label: string; value: string; onChange: (value: string) => void; error?: string; more: string }) {
  return (
    <TextField
      label={label}
      type="password"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
      hint={`At least ${PASSWORD_MIN} characters. ${more}`}
      required
      autoComplete="new-password"
    />
  );
}

function ClinicianOptions({ clinicians, current }: { clinicians: readonly ClinicianResource[]; current: string }) {
  return (
    <>
      <option value="">Not linked</option>
      <Options choices={clinicians.map((c) => [c.id, c.name])} />
      {current && !clinicians.some((c) => c.id === current) ? <option value={current}>A clinician no longer active</option> : null}
    </>
  );
}

function AddUserForm({ clinicians, onAdded }: { clinicians: readonly ClinicianResource[]; onAdded: (user: UserResource) => void }) {
  const [draft, setDraft, clearDraft] = useDraft('admin.add-user', { name: '', email: '', role: 'front_desk' as Role, clinicianId: '' });
  // Never in the draft: a draft lives in sessionStorage.
  const [password, setPassword] = useState('');
  const add = useAction(async () => {
    const body = {
      name: draft.name,
      email: draft.email.trim(),
      role: draft.role,
      password,
      ...(draft.role === 'clinician' && draft.clinicianId ? { clinicianId: draft.clinicianId } : {}),
    };
    const user = await api<UserResource>('/api/users', { method: 'POST', body });
    clearDraft();
    setPassword('');
    onAdded(user);
  });
  const errors = splitFieldErrors(add.error, ['name', 'email', 'role', 'password', 'clinicianId'] as const);
  const field = bindFields(draft, setDraft, errors.fields);

  function submit(event: FormEvent) {
    event.preventDefault();
    const short = tooShort(password);
    if (short) add.setError(short);
    else void add.run();
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-label="Add a user">
      <ErrorBanner error={errors.rest} />
      <div className="row">
        <TextField label="Name" {...field('name')} required autoComplete="off" />
        <TextField label="E-mail" type="email" {...field('email')} required autoComplete="off" />
        <SelectField label="Role" {...field('role')}>
          <Options choices={ROLE_CHOICES} />
        </SelectField>
      </div>
      <div className="row">
        <PasswordField label="Password" value={password} onChange={setPassword} error={errors.fields.password} more="A few words in a row are easy to type and hard to guess." />
        {draft.role === 'clinician' ? (
          <SelectField label="Clinician" {...field('clinicianId')} hint="The clinician this user is: their due list and appointments follow it.">
            <ClinicianOptions clinicians={clinicians} current={draft.clinicianId} />
          </SelectField>
        ) : null}
      </div>
      <Button type="submit" busy={add.pending}>
        {add.pending ? 'Adding…' : 'Add user'}
      </Button>
    </form>
  );
}

function EditUserDialog({
  user,
  self,
  clinicians,
  onClose,
  onSaved,
}: {
  user: UserResource;
  self: boolean;
  clinicians: readonly ClinicianResource[];
  onClose: () => void;
  onSaved: (user: UserResource) => void;
}) {
  const [name, setName] = useState(user.name);
  const [role, setRole] = useState<Role>(user.role);
  const [clinicianId, setClinicianId] = useState(user.clinicianId ?? '');
  const save = useAction(async () => {
    // Only what changed: the API keeps what is left out.
    const body: Record<string, unknown> = {};
    if (name.trim() !== user.name) body.name = name;
    if (role !== user.role) body.role = role;
    // A user who stops being a clinician loses the link on the server; only a clinician is linked.
    if (role === 'clinician' && clinicianId !== (user.clinicianId ?? '')) body.clinicianId = clinicianId || null;
    if (Object.keys(body).length === 0) return onClose();
    onSaved(await api<UserResource>(`/api/users/${user.id}`, { method: 'PATCH', body }));
  });
  const errors = splitFieldErrors(save.error, ['name', 'role', 'clinicianId'] as const);
  const cannotDemote = self && user.role === 'admin';
  return (
    <ActionDialog title={`Edit ${user.name}`} onClose={onClose} onSubmit={() => void save.run()}>
      <ErrorBanner error={errors.rest} />
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} required autoComplete="off" />
      <SelectField
        label="Role"
        value={role}
        onChange={(e) => setRole(e.target.value as Role)}
        error={errors.fields.role}
        disabled={cannotDemote}
        hint={cannotDemote ? 'You cannot take away your own admin role; another admin can.' : 'A change of role takes effect at once.'}
      >
        <Options choices={ROLE_CHOICES} />
      </SelectField>
      {role === 'clinician' ? (
        <SelectField label="Clinician" value={clinicianId} onChange={(e) => setClinicianId(e.target.value)} error={errors.fields.clinicianId}>
          <ClinicianOptions clinicians={clinicians} current={clinicianId} />
        </SelectField>
      ) : null}
      <FormButtons submit={save.pending ? 'Saving…' : 'Save changes'} busy={save.pending} onCancel={onClose} />
    </ActionDialog>
  );
}

function PasswordDialog({ user, onClose, onSaved }: { user: UserResource; onClose: () => void; onSaved: (user: UserResource) => void }) {
  const [password, setPassword] = useState('');
  const save = useAction(async () => onSaved(await api<UserResource>(`/api/users/${user.id}`, { method: 'PATCH', body: { password } })));
  const errors = splitFieldErrors(save.error, ['password'] as const);
  function submit() {
    const short = tooShort(password);
    if (short) save.setError(short);
    else void save.run();
  }
  return (
    <ActionDialog title={`Set a new password for ${user.name}`} onClose={onClose} onSubmit={submit}>
      <ErrorBanner error={errors.rest} />
      <PasswordField label="New password" value={password} onChange={setPassword} error={errors.fields.password} more="Their sessions that are open stay open." />
      <FormButtons submit={save.pending ? 'Setting…' : 'Set password'} busy={save.pending} onCancel={onClose} />
    </ActionDialog>
  );
}
