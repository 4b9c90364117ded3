import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { MessageTemplateResource as MessageTemplate, TemplatePreviewResource as TemplatePreview } from '@aftercare/contracts';
import { api, describeError, isAborted } from '../../api';
import { Section } from '../../components/AdminBits';
import { isDirty, LANGUAGE_NAMES, PART_NAMES, previewBody, putBody, type TemplatePart, type TemplateTexts } from '../../components/template-edit';
import { Badge, Button, DataTable, Empty, ErrorBanner, Loading, Notice, Options, PageHeader, SelectField, TextAreaField, TextField } from '../../components/ui';
import { formatDateTime, humanize } from '../../format';
import { useAction, useApi } from '../../hooks';

/**
 * The clinic's message templates, one per message kind and language: the built-in default or
 * the clinic's own text. The editor previews what the patient would get as it is typed (the
 * server renders it with sample values and checks the clinic's rules), before anything is saved.
 */

/** Typing pauses this long before the preview is asked for: one request per pause, not per key. */
const PREVIEW_DELAY_MS = 400;

export function TemplatesPage() {
  const [params, setParams] = useSearchParams();
  const language = params.get('language') ?? '';
  const kind = params.get('kind');
  const editLanguage = params.get('edit') ?? 'en';
  const templates = useApi<MessageTemplate[]>('/api/templates');
  const [done, setDone] = useState<string | null>(null);
  const shown = (templates.data ?? []).filter((t) => !language || t.language === language);
  const selected = kind ? templates.data?.find((t) => t.kind === kind && t.language === editLanguage) : undefined;
  const languages = [...new Set((templates.data ?? []).map((t) => t.language))];

  function setFilter(value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set('language', value);
    else next.delete('language');
    setParams(next, { replace: true });
  }

  function close() {
    const next = new URLSearchParams(params);
    next.delete('kind');
    next.delete('edit');
    setParams(next);
  }

  return (
    <>
      <PageHeader title="Message templates" />
      {done ? <Notice>{done}</Notice> : null}
      <ErrorBanner error={templates.error} onRetry={templates.reload} />
      {templates.loading && !templates.data ? <Loading /> : null}
      {kind && templates.data && !selected ? <ErrorBanner error={`There is no template “${kind}” in ${LANGUAGE_NAMES[editLanguage] ?? editLanguage}.`} /> : null}
      {selected ? (
        <TemplateEditor
          key={`${selected.kind}/${selected.language}`}
          template={selected}
          onClose={close}
          onSaved={(message) => {
            setDone(message);
            templates.reload();
          }}
        />
      ) : null}
      <Section title="All templates" id="all-templates">
        <div className="row" role="search" aria-label="Filter the templates">
          <SelectField label="Language" value={language} onChange={(e) => setFilter(e.target.value)}>
            <option value="">All languages</option>
            <Options choices={languages.map((l) => [l, LANGUAGE_NAMES[l] ?? l])} />
          </SelectField>
        </div>
        {templates.data && shown.length === 0 ? <Empty title="No templates in this language.">Choose “All languages”.</Empty> : null}
        {shown.length > 0 ? (
          <DataTable
            label="All templates"
            columns={['Message', 'Language', 'Text', 'Longest SMS', 'Last changed']}
            items={shown}
            row={(t) => {
              const own = Object.values(t.overridden).some(Boolean);
              const current = selected === t;
              return (
                <tr key={`${t.kind}/${t.language}`} aria-current={current ? 'true' : undefined}>
                  <td>
                    <Link to={`?${new URLSearchParams({ ...(language ? { language } : {}), kind: t.kind, edit: t.language }).toString()}`} onClick={() => setDone(null)}>
                      {humanize(t.kind)}
                    </Link>
                    <div className="muted">{t.emailSubject === null ? 'SMS only' : 'SMS and e-mail'}</div>
                  </td>
                  <td>{LANGUAGE_NAMES[t.language] ?? t.language}</td>
                  <td>{own ? <Badge tone="info">Clinic's own</Badge> : <Badge tone="neutral">Default</Badge>}</td>
                  <td>
                    {t.sms.segments} segment{t.sms.segments === 1 ? '' : 's'} · {t.sms.encoding}
                  </td>
                  <td>{t.updatedAt ? formatDateTime(t.updatedAt) : <span className="muted">Never</span>}</td>
                </tr>
              );
            }}
          />
        ) : null}
      </Section>
    </>
  );
}

function textsOf(t: MessageTemplate): TemplateTexts {
  return { smsBody: t.smsBody, emailSubject: t.emailSubject, emailBody: t.emailBody };
}

interface PreviewState {
  data: TemplatePreview | null;
  error: string | null;
  pending: boolean;
}

/** The server's rendering of the texts, asked for once typing pauses; an older answer never replaces a newer one. */
function usePreview(kind: string, language: string, draft: TemplateTexts): PreviewState & { empty: TemplatePart[] } {
  const [state, setState] = useState<PreviewState>({ data: null, error: null, pending: true });
  const { body, empty } = previewBody(kind, language, draft);
  const key = JSON.stringify(body);
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, pending: true }));
    const timer = setTimeout(() => {
      api<TemplatePreview>('/api/templates/preview', { method: 'POST', body: JSON.parse(key) as object, signal: controller.signal })
        .then((data) => setState({ data, error: null, pending: false }))
        .catch((e: unknown) => {
          if (isAborted(e)) return;
          setState({ data: null, error: describeError(e), pending: false });
        });
    }, PREVIEW_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [key]);
  return { ...state, empty };
}

function TemplateEditor({ template, onSaved, onClose }: { template: MessageTemplate; onSaved: (message: string) => void; onClose: () => void }) {
  const saved = textsOf(template);
  const [draft, setDraft] = useState<TemplateTexts>(saved);
  const preview = usePreview(template.kind, template.language, draft);
  const title = `${humanize(template.kind)} (${LANGUAGE_NAMES[template.language] ?? template.language})`;
  const dirty = isDirty(draft, saved);
  const own = Object.values(template.overridden).some(Boolean);
  const save = useAction(async () => {
    const answer = await api<MessageTemplate>(`/api/templates/${encodeURIComponent(template.kind)}/${encodeURIComponent(template.language)}`, {
      method: 'PUT',
      body: putBody(draft, template.defaults),
    });
    setDraft(textsOf(answer));
    onSaved(`${title} is saved: messages from now on use it.`);
  });
  const reset = useAction(async () => {
    const answer = await api<MessageTemplate>(`/api/templates/${encodeURIComponent(template.kind)}/${encodeURIComponent(template.language)}`, { method: 'DELETE' });
    setDraft(textsOf(answer));
    onSaved(`${title} is back to the default text.`);
  });
  const set = (part: TemplatePart, text: string) => setDraft((d) => ({ ...d, [part]: text }));
  // Opened from the table below: bring the editor into view.
  useEffect(() => document.getElementById('edit-template')?.scrollIntoView({ block: 'start' }), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    void save.run();
  }

  function defaultButton(part: TemplatePart) {
    const fallback = template.defaults[part];
    if (fallback === null || draft[part] === fallback) return <span className="hint">{template.overridden[part] && draft[part] === saved[part] ? "The clinic's own text." : 'The default text.'}</span>;
    return (
      <Button variant="secondary" onClick={() => set(part, fallback)}>
        Use the default {PART_NAMES[part].replace(/^E-mail/, 'e-mail')}
      </Button>
    );
  }

  return (
    <Section title={`Edit: ${title}`} id="edit-template">
      <div className="grid-2">
        <form className="card" onSubmit={submit} noValidate aria-label={`Edit ${title}`}>
          <ErrorBanner error={save.error ?? reset.error} />
          <p className="hint flush-top">
            Values in double braces are filled in for each patient:{' '}
            {template.variables.map((v, i) => (
              <span key={v}>
                {i ? ', ' : ''}
                <code>{`{{${v}}}`}</code>
              </span>
            ))}
            . Never name a diagnosis: texts can be read by anyone who sees the phone.
          </p>
          <TextAreaField label={PART_NAMES.smsBody} value={draft.smsBody} onChange={(e) => set('smsBody', e.target.value)} rows={5} />
          <div className="field-after">{defaultButton('smsBody')}</div>
          {draft.emailSubject !== null ? (
            <>
              <TextField label={PART_NAMES.emailSubject} value={draft.emailSubject} onChange={(e) => set('emailSubject', e.target.value)} />
              <div className="field-after">{defaultButton('emailSubject')}</div>
            </>
          ) : null}
          {draft.emailBody !== null ? (
            <>
              <TextAreaField label={PART_NAMES.emailBody} value={draft.emailBody} onChange={(e) => set('emailBody', e.target.value)} rows={10} />
              <div className="field-after">{defaultButton('emailBody')}</div>
            </>
          ) : null}
          <div className="row">
            <Button type="submit" busy={save.pending} disabled={!dirty || preview.empty.length > 0}>
              {save.pending ? 'Saving…' : 'Save template'}
            </Button>
            {own ? (
              <Button variant="danger" busy={reset.pending} onClick={() => void reset.run()}>
                {reset.pending ? 'Returning…' : 'Return to the default'}
              </Button>
            ) : null}
            <Button variant="secondary" onClick={onClose}>
              Close
            </Button>
          </div>
          {!dirty ? <p className="hint">Nothing changed since the last save.</p> : null}
        </form>
        <PreviewPanel preview={preview} />
      </div>
    </Section>
  );
}

function PreviewPanel({ preview }: { preview: PreviewState & { empty: TemplatePart[] } }) {
  const { data } = preview;
  const problems = [
    ...preview.empty.map((part) => ({ key: `empty-${part}`, field: part, message: `${PART_NAMES[part]} is empty; write a text or use the default.` })),
    ...(data?.problems ?? []).map((p, i) => ({ key: `${p.rule}-${i}`, field: p.field, message: p.message })),
  ];
  return (
    <section className="card" aria-labelledby="preview-title" aria-busy={preview.pending || undefined}>
      <h3 id="preview-title" className="flush-top">
        Preview {preview.pending ? <span className="muted">(updating…)</span> : null}
      </h3>
      <ErrorBanner error={preview.error} />
      {/* Announced when it changes: the problems are what the admin must hear before saving. */}
      <div aria-live="polite">
        {problems.length ? (
          <>
            <p className="tight">
              <Badge tone="bad">{problems.length === 1 ? '1 problem' : `${problems.length} problems`}</Badge> to fix before saving:
            </p>
            <ul className="flush-top">
              {problems.map((p) => (
                <li key={p.key}>
                  <strong>{PART_NAMES[p.field] ?? p.field}:</strong> {p.message}
                </li>
              ))}
            </ul>
          </>
        ) : data && !preview.pending ? (
          <p>
            <Badge tone="good">No problems</Badge> The server's checks (the clinic named, the opt-out line, no forbidden words) all pass.
          </p>
        ) : null}
      </div>
      {data ? (
        <>
          <h4>SMS</h4>
          <p className="tight">
            <Badge tone={data.sms.segments > 1 ? 'warn' : 'neutral'}>
              {data.sms.segments} segment{data.sms.segments === 1 ? '' : 's'}
            </Badge>{' '}
            <Badge tone={data.sms.encoding === 'UCS-2' ? 'warn' : 'neutral'}>{data.sms.encoding}</Badge> <span className="muted">{data.sms.characters} characters</span>
          </p>
          {data.sms.encoding === 'UCS-2' ? (
            <p className="hint flush-top">
              A character outside GSM-7 (an emoji, a curly quote, some accents) makes every segment 70 characters instead of 160.
            </p>
          ) : null}
          <div className="message-preview">{data.sms.text}</div>
          {data.email ? (
            <>
              <h4>E-mail</h4>
              <p className="tight">
                <strong>Subject:</strong> {data.email.subject}
              </p>
              <div className="message-preview">{data.email.body}</div>
            </>
          ) : null}
          <p className="hint">Sample values: {Object.entries(data.values).map(([k, v]) => `${k} = ${v}`).join(', ') || 'none'}.</p>
        </>
      ) : preview.pending && !preview.error ? (
        <Loading label="Rendering the preview…" />
      ) : null}
    </section>
  );
}
