import { useState, type FormEvent } from 'react';
import { api, type Role } from '../../api';
import { ActionDialog } from '../../components/ActionDialog';
import type { ClinicianSummary, UserResource } from '../../components/admin';
import { Section, TableWrap } from '../../components/AdminBits';
import { splitFieldErrors } from '../../components/form-errors';
import { Badge, Button, Empty, ErrorBanner, Loading, Notice, PageHeader, SelectField, TextField } from '../../components/ui';
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
/** The gateway's minimum (apps/gateway/src/users/users.dto.ts): length beats composition rules. */
const PASSWORD_MIN = 12;

const ROLE_TONES: Record<Role, 'neutral' | 'info' | 'warn'> = { front_desk: 'neutral', clinician: 'info', admin: 'warn' };

function tooShort(password: string): string | null {
  return password.length < PASSWORD_MIN ? `password must be at least ${PASSWORD_MIN} characters long` : null;
}

export function UsersPage() {
  const me = useUser();
  const users = useApi<UserResource[]>('/api/users');
  const clinicians = useApi<ClinicianSummary[]>('/api/clinicians');
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
        {users.loading && !users.data ? <Loading /> : null}
        <ErrorBanner error={users.error} onRetry={users.reload} />
        {users.data && users.data.length === 0 ? <Empty title="No users yet.">Add one with the form below.</Empty> : null}
        {users.data && users.data.length > 0 ? (
          <TableWrap label="Staff users">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">E-mail</th>
                  <th scope="col">Role</th>
                  <th scope="col">Clinician</th>
                  <th scope="col">Status</th>
                  <th scope="col">Added</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((user) => {
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
                        <div className="row" style={{ gap: '0.4rem' }}>
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
                })}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
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

function ClinicianOptions({ clinicians, current }: { clinicians: readonly ClinicianSummary[]; current: string }) {
  return (
    <>
      <option value="">Not linked</option>
      {clinicians.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name}
        </option>
      ))}
      {current && !clinicians.some((c) => c.id === current) ? <option value={current}>A clinician no longer active</option> : null}
    </>
  );
}

function AddUserForm({ clinicians, onAdded }: { clinicians: readonly ClinicianSummary[]; onAdded: (user: UserResource) => void }) {
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
        <TextField label="Name" value={draft.name} onChange={(e) => setDraft({ name: e.target.value })} error={errors.fields.name} required autoComplete="off" />
        <TextField
          label="E-mail"
          type="email"
          value={draft.email}
          onChange={(e) => setDraft({ email: e.target.value })}
          error={errors.fields.email}
          required
          autoComplete="off"
        />
        <SelectField label="Role" value={draft.role} onChange={(e) => setDraft({ role: e.target.value as Role })} error={errors.fields.role}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_NAMES[r]}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="row">
        <TextField
          label="Password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.fields.password}
          hint={`At least ${PASSWORD_MIN} characters. A few words in a row are easy to type and hard to guess.`}
          required
          autoComplete="new-password"
        />
        {draft.role === 'clinician' ? (
          <SelectField
            label="Clinician"
            value={draft.clinicianId}
            onChange={(e) => setDraft({ clinicianId: e.target.value })}
            error={errors.fields.clinicianId}
            hint="The clinician this user is: their due list and appointments follow it."
          >
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
  clinicians: readonly ClinicianSummary[];
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
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {ROLE_NAMES[r]}
          </option>
        ))}
      </SelectField>
      {role === 'clinician' ? (
        <SelectField label="Clinician" value={clinicianId} onChange={(e) => setClinicianId(e.target.value)} error={errors.fields.clinicianId}>
          <ClinicianOptions clinicians={clinicians} current={clinicianId} />
        </SelectField>
      ) : null}
      <div className="row">
        <Button type="submit" busy={save.pending}>
          {save.pending ? 'Saving…' : 'Save changes'}
        </Button>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
      </div>
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
      <TextField
        label="New password"
        type="password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={errors.fields.password}
        hint={`At least ${PASSWORD_MIN} characters. Their sessions that are open stay open.`}
        required
        autoComplete="new-password"
      />
      <div className="row">
        <Button type="submit" busy={save.pending}>
          {save.pending ? 'Setting…' : 'Set password'}
        </Button>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
      </div>
    </ActionDialog>
  );
}
