import { lazy, Suspense, useEffect, useState, type ComponentType, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import type { Role, Session } from './api';
import { syncServerClock } from './clock';
import { Empty, ErrorBanner, Loading } from './components/ui';
import { describeError } from './api';
import { HOME, Layout } from './layout';
import { SignIn } from './pages/SignIn';
import { useSession } from './session';
import { warmDateFormats } from './format';
import { prefetch } from './hooks';
import { dueListQueries } from './pages/clinician/due-list-queries';

/**
 * Each role's pages are a chunk of their own, loaded when the first of them opens: a clinician's
 * first load of the due list carries none of the front desk's or the admin's code. The chunk of
 * the role's own pages is fetched while the session is checked (App), and a page whose chunk is
 * there already renders at once: React holds back what a lazy component suspended on for up to
 * 300 ms after it resolves, which a first load would pay every time.
 */
function area<M>(load: () => Promise<M>) {
  let loaded: M | undefined;
  let loading: Promise<M> | undefined;
  return {
    load: (): Promise<M> =>
      (loading ??= load().then(
        (m) => (loaded = m),
        (error: unknown) => {
          loading = undefined; // tried again by the next page that needs it
          throw error;
        },
      )),
    /** The module when it has arrived. */
    get loaded(): M | undefined {
      return loaded;
    },
  };
}
type Area<M> = ReturnType<typeof area<M>>;

const desk = area(() => import('./pages/desk'));
const clinician = area(() => import('./pages/clinician'));
const admin = area(() => import('./pages/admin'));

/** The pages a role lands on and works in most: their chunk is fetched while the session is checked. */
const AREA_OF: Record<Role, { load: () => Promise<unknown> }> = { front_desk: desk, clinician, admin: clinician };

function page<K extends string, M extends Record<K, ComponentType>>(from: Area<M>, name: K) {
  return lazy(() => {
    const module = from.loaded;
    // A thenable that answers at once: React takes its value in the same render, without suspending.
    if (module) return { then: (resolve: (m: { default: ComponentType }) => void) => resolve({ default: module[name] }) } as unknown as Promise<{ default: ComponentType }>;
    return from.load().then((m) => ({ default: m[name] }));
  });
}

const PatientsPage = page(desk, 'PatientsPage');
const PatientDeskPage = page(desk, 'PatientDeskPage');
const BookPage = page(desk, 'BookPage');
const DaySheetPage = page(desk, 'DaySheetPage');
const BookingTasksPage = page(desk, 'BookingTasksPage');
const WaitlistPage = page(desk, 'WaitlistPage');
const DueListPage = page(clinician, 'DueListPage');
const PatientPage = page(clinician, 'PatientPage');
const ProceduresPage = page(clinician, 'ProceduresPage');
const UsersPage = page(admin, 'UsersPage');
const ClinicPage = page(admin, 'ClinicPage');
const ProtocolsPage = page(admin, 'ProtocolsPage');
const TemplatesPage = page(admin, 'TemplatesPage');
const QueuesPage = page(admin, 'QueuesPage');
const ClockPage = page(admin, 'ClockPage');

const DESK: readonly Role[] = ['front_desk', 'admin'];
const CLINICAL: readonly Role[] = ['clinician', 'admin'];
const ADMIN: readonly Role[] = ['admin'];
const STAFF: readonly Role[] = ['front_desk', 'clinician', 'admin'];

/**
 * A page for some roles only (the server refuses the others' calls anyway), shown once its
 * chunk has loaded (the menu stays meanwhile).
 */
function Allow({ roles, children }: { roles: readonly Role[]; children: ReactNode }) {
  const { session } = useSession();
  if (!session || !roles.includes(session.user.role)) {
    return <Empty title="This page is not for your role.">Use the menu above for the pages you can work with.</Empty>;
  }
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

/** Only the page a tab opens on is prefetched (not again when the session changes). */
let firstPagePrefetched = false;

/** Re-reads the server's time this often (the virtual clock moves when an admin advances it). */
const CLOCK_SYNC_MS = 60_000;

/** What opening the app for a session starts before any page asks: the role's code and the server's time. */
interface Opening {
  pages: Promise<unknown>;
  clock: Promise<void>;
}

function openFor(session: Session, at: { pathname: string; search: string }): Opening {
  // Side by side with /api/me, not after it: the first page's code is there when the session is
  // (a chunk that fails to load is loaded again, and reported, by the page that needs it).
  const pages = AREA_OF[session.user.role].load().catch(() => undefined);
  // The due list's own requests too, when that is where the first load goes.
  const landing = at.pathname === '/' ? HOME[session.user.role] : at.pathname;
  if (!firstPagePrefetched && landing === '/due' && session.user.role !== 'front_desk') {
    firstPagePrefetched = true;
    const q = dueListQueries(new URLSearchParams(at.search), session.user);
    prefetch('/api/follow-ups', q.list);
    prefetch('/api/follow-ups/counts', q.counts);
    prefetch<{ timezone?: string }>('/api/clinic')
      .then((clinic) => warmDateFormats(clinic.timezone))
      .catch(() => undefined);
    prefetch('/api/clinicians');
    // The browser's zone meanwhile (the formats' locale data loads with the first of them).
    setTimeout(() => warmDateFormats(), 0);
  }
  const clock = syncServerClock();
  clock.catch(() => undefined); // reported by App once it waits for it
  return { pages, clock };
}

let opening: Opening | null = null;

/**
 * Called by main.tsx before React's first render when a session is stored: the requests of the
 * first page start while the bundle's React renders and runs its effects, which costs a slow
 * tablet a good part of the first load. App takes what this started.
 */
export function startOpening(session: Session | null, at: { pathname: string; search: string }): void {
  if (session) opening = openFor(session, at);
}

export function App() {
  const { session } = useSession();
  const location = useLocation();
  const [clock, setClock] = useState<'syncing' | 'ready' | string>('syncing');
  useEffect(() => {
    if (!session) return;
    // What main.tsx started for this session, or (after signing in) start it now.
    const first = opening ?? openFor(session, location);
    opening = null;
    let stopped = false;
    const sync = (clockSync: Promise<void>) =>
      Promise.all([clockSync, first.pages])
        .then(() => !stopped && setClock('ready'))
        .catch((error: unknown) => !stopped && setClock((now) => (now === 'ready' ? now : describeError(error))));
    void sync(first.clock);
    const timer = setInterval(() => void sync(syncServerClock()), CLOCK_SYNC_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [session]);
  if (!session) {
    if (location.pathname === '/sign-in') return <SignIn />;
    // Back here after signing in again.
    const next = location.pathname === '/' ? '' : `?next=${encodeURIComponent(location.pathname + location.search)}`;
    return <Navigate to={`/sign-in${next}`} replace />;
  }
  if (clock === 'syncing') return <Loading />;
  if (clock !== 'ready') return <ErrorBanner error={clock} onRetry={() => window.location.reload()} />;
  return (
    <Routes>
      <Route path="/sign-in" element={<Navigate to={HOME[session.user.role]} replace />} />
      <Route element={<Layout />}>
        <Route index element={<Navigate to={HOME[session.user.role]} replace />} />
        <Route path="desk/patients" element={<Allow roles={DESK}><PatientsPage /></Allow>} />
        <Route path="desk/patients/:id" element={<Allow roles={DESK}><PatientDeskPage /></Allow>} />
        <Route path="desk/book" element={<Allow roles={DESK}><BookPage /></Allow>} />
        <Route path="desk/day-sheet" element={<Allow roles={STAFF}><DaySheetPage /></Allow>} />
        <Route path="desk/tasks" element={<Allow roles={DESK}><BookingTasksPage /></Allow>} />
        <Route path="desk/waitlist" element={<Allow roles={DESK}><WaitlistPage /></Allow>} />
        <Route path="due" element={<Allow roles={CLINICAL}><DueListPage /></Allow>} />
        <Route path="patients/:id" element={<Allow roles={CLINICAL}><PatientPage /></Allow>} />
        <Route path="procedures" element={<Allow roles={CLINICAL}><ProceduresPage /></Allow>} />
        <Route path="admin/users" element={<Allow roles={ADMIN}><UsersPage /></Allow>} />
        <Route path="admin/clinic" element={<Allow roles={ADMIN}><ClinicPage /></Allow>} />
        <Route path="admin/protocols" element={<Allow roles={ADMIN}><ProtocolsPage /></Allow>} />
        <Route path="admin/templates" element={<Allow roles={ADMIN}><TemplatesPage /></Allow>} />
        <Route path="admin/queues" element={<Allow roles={ADMIN}><QueuesPage /></Allow>} />
        <Route path="admin/clock" element={<Allow roles={ADMIN}><ClockPage /></Allow>} />
        <Route path="*" element={<Empty title="There is no such page.">Use the menu above.</Empty>} />
      </Route>
    </Routes>
  );
}
