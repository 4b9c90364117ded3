import { useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { signIn } from '../api';
import { Button, ErrorBanner, Notice, TextField } from '../components/ui';
import { useAction } from '../hooks';
import { HOME } from '../layout';
import { useSession } from '../session';

export function SignIn() {
  const { endedBecause } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const next = new URLSearchParams(location.search).get('next');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { run, pending, error } = useAction(signIn);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const session = await run(email, password);
    if (!session) return;
    // Back where the session ended (forms there kept their drafts), or the role's first page.
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : HOME[session.user.role], { replace: true });
  }

  return (
    <main id="main" className="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title" className="card">
        <h1 id="sign-in-title">Sign in to Aftercare</h1>
        {endedBecause === 'expired' ? <Notice>Your session has ended. Sign in again to carry on where you were; what you typed is kept.</Notice> : null}
        {endedBecause === 'signed-out' ? <Notice>You are signed out.</Notice> : null}
        <ErrorBanner error={error} />
        <TextField label="E-mail" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        <TextField label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <Button type="submit" busy={pending}>
          {pending ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
    </main>
  );
}
