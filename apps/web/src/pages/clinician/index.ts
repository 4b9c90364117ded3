/** The clinician's pages: one chunk, loaded when the first of them opens (App.tsx). */
export { DueListPage } from './DueList';
export { PatientPage } from './Patient';
export { ProceduresPage } from './Procedures';
