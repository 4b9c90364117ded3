import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { onSessionChange, readSession, type Session } from './api';

interface SessionState {
  session: Session | null;
  /** Why the last session ended, to say so on the sign-in page. */
  endedBecause: 'expired' | 'signed-out' | null;
}

const SessionContext = createContext<SessionState>({ session: null, endedBecause: null });

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>(() => ({ session: readSession(), endedBecause: null }));
  useEffect(
    () => onSessionChange((session, reason) => setState({ session, endedBecause: session ? null : (reason ?? null) })),
    [],
  );
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  return useContext(SessionContext);
}

/** The signed-in user; only for pages behind the sign-in. */
export function useUser() {
  const { session } = useSession();
  if (!session) throw new Error('useUser outside a signed-in page');
  return session.user;
}
