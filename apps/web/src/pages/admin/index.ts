/** The admin's pages: one chunk, loaded when the first of them opens (App.tsx). */
export { ClinicPage } from './Clinic';
export { ClockPage } from './Clock';
export { ProtocolsPage } from './Protocols';
export { QueuesPage } from './Queues';
export { TemplatesPage } from './Templates';
export { UsersPage } from './Users';
