import { useState } from 'react';
import type { PatientResource as Patient } from '@aftercare/contracts';
import type { Query } from '../api';
import { useApi, type Page } from '../hooks';
import { useDebounced } from './desk';
import { formatLocalDate } from './local-time';
import { Button, ErrorBanner, Loading, TextField } from './ui';
import { fullName } from './words';

/** Fewer characters than this match half the clinic: no request until then. */
const MIN_QUERY = 2;

/**
 * What a search box's text asks the API for: a date of birth ('1980-03-14', or '3/14/1980' as
 * typed at a US desk) by `dateOfBirth`, anything else (name, phone, e-mail) by `query`.
 */
export function searchQueryOf(text: string): Query | null {
  const term = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(term)) return { dateOfBirth: term };
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(term);
  if (us) return { dateOfBirth: `${us[3]}-${us[1]!.padStart(2, '0')}-${us[2]!.padStart(2, '0')}` };
  return term.length >= MIN_QUERY ? { query: term } : null;
}

/** The hits a search shows: a broad one (two letters) says there are more, and to type more. */
export const SEARCH_PAGE = 50;

/**
 * Patients matching what is typed, asked once typing pauses (each keystroke is not a request):
 * the first SEARCH_PAGE, by name; `more` when more match.
 */
export function usePatientSearch(text: string) {
  const settled = useDebounced(text.trim(), 300);
  const query = searchQueryOf(settled);
  const result = useApi<Page<Patient>>(query ? '/api/patients' : null, query ? { ...query, limit: SEARCH_PAGE } : undefined);
  return { ...result, patients: query ? (result.data?.items ?? []) : [], more: query !== null && !!result.data?.nextCursor, searched: query !== null, settling: settled !== text.trim() };
}

/**
 * Finds a patient to book for or put on the waitlist: a search box and the hits, each with a
 * "Choose" button. The front desk registers new patients on the Patients page.
 */
export function PatientPicker({ label = 'Search patients', onPick }: { label?: string; onPick: (patient: Patient) => void }) {
  const [text, setText] = useState('');
  const { patients, more, searched, loading, error, reload, settling } = usePatientSearch(text);
  const shown = patients.slice(0, 10);
  return (
    <div>
      <TextField
        label={label}
        type="search"
        value={text}
        onChange={(e) => setText(e.target.value)}
        hint="Name, phone, e-mail or date of birth (YYYY-MM-DD)"
        autoComplete="off"
      />
      <ErrorBanner error={error} onRetry={reload} />
      {searched && (loading || settling) ? <Loading label="Searching…" /> : null}
      {searched && !loading && !settling && !error && shown.length === 0 ? (
        <p className="muted">No patient matches. Check the spelling, or register the patient on the Patients page first.</p>
      ) : null}
      {shown.length > 0 && !settling ? (
        <ul style={{ listStyle: 'none', padding: 0, margin: '0 0 0.75rem' }}>
          {shown.map((p) => (
            <li key={p.id} style={{ display: 'flex', gap: '0.75rem', alignItems: 'center', padding: '0.3rem 0', borderBottom: '1px solid #e2e8f0' }}>
              <Button variant="secondary" onClick={() => onPick(p)} aria-label={`Choose ${fullName(p)}`}>
                Choose
              </Button>
              <span>
                <strong>{fullName(p)}</strong>{' '}
                <span className="muted">
                  {p.phone}
                  {p.dateOfBirth ? ` · born ${formatLocalDate(p.dateOfBirth)}` : ''}
                </span>
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {(more || patients.length > shown.length) && !settling ? <p className="muted">More patients match: type more of the name to narrow it down.</p> : null}
    </div>
  );
}
