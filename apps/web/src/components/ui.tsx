import { useId, type ButtonHTMLAttributes, type ChangeEvent, type FormEvent, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import type { Pages } from '../hooks';

/** The page's title (the one h1) and, beside it, its main actions. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children ? <div className="page-actions">{children}</div> : null}
    </div>
  );
}

/** An error that says what went wrong and, where it can, offers to try again. */
export function ErrorBanner({ error, onRetry }: { error: string | null | undefined; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert">
      <span>{error}</span>
      {onRetry ? (
        <button type="button" className="link-button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="banner banner-info" role="status">
      {children}
    </div>
  );
}

/** What an empty list means, and what to do about it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children ? <p>{children}</p> : null}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {label}
    </p>
  );
}

interface FieldProps {
  label: string;
  /** A problem with the value, shown under the field and tied to it for screen readers. */
  error?: string | null;
  hint?: string;
}

/** What ties a control to its label, hint and problem. */
interface ControlProps {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/** A labelled control with its hint and problem under it: the markup every field shares. */
function Field({ label, error, hint, control }: FieldProps & { control: (props: ControlProps) => ReactNode }) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {control({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint ? (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      ) : null}
    </div>
  );
}

/**
 * Ties fields to a form kept as one object: `field('name')` is the value, what typing does to it
 * (`set({ name })`) and the problem with it, for a TextField, SelectField or TextAreaField.
 */
export function bindFields<F extends object>(form: F, set: (patch: Partial<F>) => void, errors: Partial<Record<string, string>>) {
  return (name: keyof F & string) => ({
    value: form[name] as string,
    onChange: (event: ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => set({ [name]: event.target.value } as Partial<F>),
    error: errors[name],
  });
}

export function TextField({ label, error, hint, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  return <Field label={label} error={error} hint={hint} control={(props) => <input {...props} {...input} />} />;
}

export function SelectField({ label, error, hint, children, ...select }: FieldProps & SelectHTMLAttributes<HTMLSelectElement>) {
  return (
    <Field
      label={label}
      error={error}
      hint={hint}
      control={(props) => (
        <select {...props} {...select}>
          {children}
        </select>
      )}
    />
  );
}

export function TextAreaField({ label, error, hint, ...area }: FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <Field label={label} error={error} hint={hint} control={(props) => <textarea {...props} {...area} />} />;
}

/** A select's options, each a [value, label] pair. */
export function Options({ choices }: { choices: readonly (readonly [string, ReactNode])[] | undefined }) {
  return (
    <>
      {choices?.map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </>
  );
}

export function CheckboxField({ label, ...input }: { label: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="field field-checkbox">
      <input id={id} type="checkbox" {...input} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

export function Button({
  variant = 'primary',
  busy,
  className,
  children,
  ...button
}: { variant?: 'primary' | 'secondary' | 'danger'; busy?: boolean } & ButtonHTMLAttributes<HTMLButtonElement>) {
  return (
    <button type="button" {...button} className={`button button-${variant}${className ? ` ${className}` : ''}`} disabled={busy || button.disabled} aria-busy={busy || undefined}>
      {children}
    </button>
  );
}

/** Badge tones: the words carry the meaning, the colour only helps. */
export type Tone = 'neutral' | 'good' | 'warn' | 'bad' | 'info';

/** A status as a coloured badge; the text carries the meaning, the colour only helps. */
export function Badge({ tone = 'neutral', children }: { tone?: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/**
 * A table that may scroll sideways on a narrow screen. With a `label`, a labelled region that
 * takes focus, so that a keyboard user can scroll it too.
 */
export function TableWrap({ label, children }: { label?: string; children: ReactNode }) {
  return label ? (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  ) : (
    <div className="table-wrap">{children}</div>
  );
}

/** A table's column headers. */
export function TableHead({ columns }: { columns: readonly ReactNode[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column, i) => (
          <th scope="col" key={i}>
            {column}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/**
 * A form's own buttons: the one that sends it (saying what it does, and "…ing" while it runs)
 * and, where the form can be left, the one that leaves it.
 */
export function FormButtons({
  submit,
  busy,
  disabled,
  variant,
  onCancel,
  cancel = 'Cancel',
  className = 'row',
}: {
  submit: ReactNode;
  busy?: boolean;
  disabled?: boolean;
  variant?: 'primary' | 'danger';
  onCancel?: () => void;
  cancel?: string;
  /** 'page-actions' in a dialog of one action. */
  className?: string;
}) {
  return (
    <div className={className}>
      <Button type="submit" variant={variant} busy={busy} disabled={disabled}>
        {submit}
      </Button>
      {onCancel ? (
        <Button variant="secondary" onClick={onCancel}>
          {cancel}
        </Button>
      ) : null}
    </div>
  );
}

/**
 * A card named by its heading (`id` ties them): a form when it has `onSubmit`, else a section.
 * The form leaves checking to the page (noValidate), which says at each field what is wrong.
 */
export function Card({
  id,
  title,
  level = 2,
  onSubmit,
  className,
  children,
}: {
  id: string;
  title: ReactNode;
  level?: 2 | 3;
  onSubmit?: (event: FormEvent<HTMLFormElement>) => void;
  /** More classes beside "card". */
  className?: string;
  children: ReactNode;
}) {
  const Heading = level === 2 ? 'h2' : 'h3';
  const heading = (
    <Heading id={id} className="flush-top">
      {title}
    </Heading>
  );
  const classes = className ? `card ${className}` : 'card';
  return onSubmit ? (
    <form className={classes} onSubmit={onSubmit} noValidate aria-labelledby={id}>
      {heading}
      {children}
    </form>
  ) : (
    <section className={classes} aria-labelledby={id}>
      {heading}
      {children}
    </section>
  );
}

/** Items as a table, a row each (`row` answers a keyed <tr>). */
export function DataTable<T>({
  label,
  caption,
  columns,
  items,
  row,
}: {
  /** The table's name, as a scrolling region (see TableWrap). */
  label?: string;
  caption?: ReactNode;
  columns: readonly ReactNode[];
  items: readonly T[];
  row: (item: T, index: number) => ReactNode;
}) {
  return (
    <TableWrap label={label}>
      <table>
        {caption ? <caption className="muted">{caption}</caption> : null}
        <TableHead columns={columns} />
        <tbody>{items.map((item, index) => row(item, index))}</tbody>
      </table>
    </TableWrap>
  );
}

/** What useApi answers for a list (or a list polled): enough to show it in a LoadedTable. */
interface LoadedList<T> {
  data: T[] | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/**
 * A list as it loads: its error (with "Try again"), "Loading…" until the first answer, what an
 * empty list means (`empty`), else a table of it, a row an item.
 */
export function LoadedTable<T>({
  list,
  label,
  empty,
  columns,
  row,
}: {
  list: LoadedList<T>;
  /** The table's name (its scrolling region's). */
  label: string;
  empty: ReactNode;
  columns: readonly ReactNode[];
  /** One <tr>, keyed. */
  row: (item: T) => ReactNode;
}) {
  const { data } = list;
  return (
    <>
      <ErrorBanner error={list.error} onRetry={list.reload} />
      {list.loading && !data ? <Loading /> : null}
      {data && data.length === 0 ? empty : null}
      {data && data.length > 0 ? <DataTable label={label} columns={columns} items={data} row={row} /> : null}
    </>
  );
}

/** Under a paged list (usePages): "Show more" while there are more, and the error of a page that did not load. */
export function ShowMore({ pages }: { pages: Pick<Pages<unknown>, 'nextCursor' | 'showMore' | 'loadingMore' | 'moreError'> }) {
  return (
    <>
      <ErrorBanner error={pages.moreError} onRetry={() => void pages.showMore()} />
      {pages.nextCursor ? (
        <Button variant="secondary" onClick={() => void pages.showMore()} busy={pages.loadingMore}>
          {pages.loadingMore ? 'Loading more…' : 'Show more'}
        </Button>
      ) : null}
    </>
  );
}
