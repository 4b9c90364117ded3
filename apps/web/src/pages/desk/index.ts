/** The front desk's pages: one chunk, loaded when the first of them opens (App.tsx). */
export { BookPage } from './Book';
export { DaySheetPage } from './DaySheet';
export { PatientDeskPage, PatientsPage } from './Patients';
export { BookingTasksPage } from './Tasks';
export { WaitlistPage } from './Waitlist';
