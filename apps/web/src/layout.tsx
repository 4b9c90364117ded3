import { NavLink, Outlet } from 'react-router';
import { signOut, type Role } from './api';
import { useUser } from './session';

interface NavItem {
  to: string;
  label: string;
  roles: readonly Role[];
}

/** Each role's pages, in the order they are worked. The server checks roles on every call too. */
export const NAV: readonly NavItem[] = [
  { to: '/desk/patients', label: 'Patients', roles: ['front_desk', 'admin'] },
  { to: '/desk/book', label: 'Book', roles: ['front_desk', 'admin'] },
  { to: '/desk/day-sheet', label: 'Day sheet', roles: ['front_desk', 'clinician', 'admin'] },
  { to: '/desk/tasks', label: 'Booking tasks', roles: ['front_desk', 'admin'] },
  { to: '/desk/waitlist', label: 'Waitlist', roles: ['front_desk', 'admin'] },
  { to: '/due', label: 'Due list', roles: ['clinician', 'admin'] },
  { to: '/procedures', label: 'Procedures', roles: ['clinician', 'admin'] },
  { to: '/admin/users', label: 'Users', roles: ['admin'] },
  { to: '/admin/clinic', label: 'Clinic', roles: ['admin'] },
  { to: '/admin/protocols', label: 'Protocols', roles: ['admin'] },
  { to: '/admin/templates', label: 'Templates', roles: ['admin'] },
  { to: '/admin/queues', label: 'Queues', roles: ['admin'] },
  { to: '/admin/clock', label: 'Clock', roles: ['admin'] },
];

export const ROLE_NAMES: Record<Role, string> = { front_desk: 'Front desk', clinician: 'Clinician', admin: 'Admin' };

/** Where each role starts after signing in. */
export const HOME: Record<Role, string> = { front_desk: '/desk/patients', clinician: '/due', admin: '/due' };

export function Layout() {
  const user = useUser();
  const items = NAV.filter((item) => item.roles.includes(user.role));
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Aftercare</span>
        <nav aria-label="Main">
          <ul>
            {items.map((item) => (
              <li key={item.to}>
                <NavLink to={item.to}>{item.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span>
            {user.name} <span className="muted">· {ROLE_NAMES[user.role]}</span>
          </span>
          <button type="button" className="button button-secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
