import { moveRow, newRow, removeRow, STEP_KINDS, updateRow, type RowProblems, type StepKind, type StepRow } from './protocol-steps';
import type { ReactNode } from 'react';
import { Button, Options, SelectField, TextField } from './ui';

/** A number field needs little room: it keeps a step's fields on one line at 1024 px. */
function Narrow({ width = '6.5rem', children }: { width?: string; children: ReactNode }) {
  return <div style={{ flex: `0 1 ${width}`, minWidth: 0 }}>{children}</div>;
}

/**
 * A protocol's steps, one group of labelled fields a step: when it comes (days, hours and
 * minutes after the procedure's completion, and a local time of day in the patient's zone), what
 * it is, and for a follow-up visit its booking window. Problems (the browser's or the server's)
 * show under the field they concern.
 */
export function ProtocolStepsEditor({
  rows,
  onChange,
  problems,
}: {
  rows: readonly StepRow[];
  onChange: (rows: StepRow[]) => void;
  problems: Record<string, RowProblems>;
}) {
  return (
    <div>
      <p className="hint flush-top">
        Offsets count from the procedure's completion. Keys name steps in care plans and must be unique, such as checkin-day-1. “At” is a time of day in the patient's own zone (empty: the offset's own time); quiet hours still move a
        message to the next allowed time.
      </p>
      <ol className="bare-list">
        {rows.map((row, i) => {
          const p = problems[row.id] ?? {};
          const n = i + 1;
          const set = (patch: Partial<Omit<StepRow, 'id'>>) => onChange(updateRow(rows, row.id, patch));
          return (
            <li key={row.id} className="card" style={{ padding: '0.6rem 0.8rem', marginBottom: '0.6rem' }}>
              <fieldset className="plain-fieldset">
                <legend>Step {n}</legend>
                {p.row ? <p className="field-error">{p.row}</p> : null}
                <div className="row align-top">
                  <SelectField label="What" value={row.kind} onChange={(e) => set({ kind: e.target.value as StepKind })} error={p.kind}>
                    <Options choices={STEP_KINDS.map((k) => [k.kind, k.name])} />
                  </SelectField>
                  <TextField label="Key" value={row.key} onChange={(e) => set({ key: e.target.value })} error={p.key} autoComplete="off" spellCheck={false} />
                  <Narrow>
                    <TextField label="Days after" inputMode="numeric" value={row.days} onChange={(e) => set({ days: e.target.value })} error={p.days} />
                  </Narrow>
                  <Narrow>
                    <TextField label="Hours after" inputMode="numeric" value={row.hours} onChange={(e) => set({ hours: e.target.value })} error={p.hours} />
                  </Narrow>
                  <Narrow width="7.5rem">
                    <TextField label="Minutes after" inputMode="numeric" value={row.minutes} onChange={(e) => set({ minutes: e.target.value })} error={p.minutes} />
                  </Narrow>
                  <Narrow width="9rem">
                    <TextField label="At (local time)" type="time" value={row.at} onChange={(e) => set({ at: e.target.value })} error={p.at} />
                  </Narrow>
                </div>
                {row.kind === 'follow_up_visit' ? (
                  <>
                    <div className="row align-top">
                      <Narrow width="11rem">
                        <TextField label="Window opens (day)" inputMode="numeric" value={row.windowFrom} onChange={(e) => set({ windowFrom: e.target.value })} error={p.windowFrom} />
                      </Narrow>
                      <Narrow width="11rem">
                        <TextField label="Window closes (day)" inputMode="numeric" value={row.windowTo} onChange={(e) => set({ windowTo: e.target.value })} error={p.windowTo} />
                      </Narrow>
                      <Narrow width="11rem">
                        <TextField label="Book ahead (days)" inputMode="numeric" value={row.bookAheadDays} onChange={(e) => set({ bookAheadDays: e.target.value })} error={p.bookAheadDays} />
                      </Narrow>
                    </div>
                    <p className="hint" style={{ marginTop: '-0.4rem' }}>
                      The visit goes in the first free slot between those two days after the procedure; it is booked, and the patient told, “book
                      ahead” days before the window opens. Both window days empty: the default window.
                    </p>
                  </>
                ) : null}
                <div className="row row-tight">
                  <Button variant="secondary" disabled={i === 0} onClick={() => onChange(moveRow(rows, row.id, -1))}>
                    Move step {n} up
                  </Button>
                  <Button variant="secondary" disabled={i === rows.length - 1} onClick={() => onChange(moveRow(rows, row.id, 1))}>
                    Move step {n} down
                  </Button>
                  <Button variant="danger" disabled={rows.length === 1} onClick={() => onChange(removeRow(rows, row.id))}>
                    Remove step {n}
                  </Button>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      {problems['']?.row ? <p className="field-error">{problems['']?.row}</p> : null}
      <Button variant="secondary" onClick={() => onChange([...rows, newRow(rows)])}>
        Add a step
      </Button>
    </div>
  );
}
