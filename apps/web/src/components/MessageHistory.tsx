import type { MessageStatusChange } from '@aftercare/contracts';
import { formatDateTime, humanize } from '../format';

/** A message's status changes, oldest first, folded away under `summary`. */
export function MessageHistory({
  history,
  summary,
  timeZone,
  showSource = false,
}: {
  history: readonly Pick<MessageStatusChange, 'status' | 'at' | 'error' | 'source'>[];
  summary: string;
  timeZone: string | undefined;
  /** Say who made each change (the sender, the provider, the system): for an admin looking into a failure. */
  showSource?: boolean;
}) {
  return (
    <details>
      <summary>{summary}</summary>
      <ol className="compact-list">
        {history.map((h, i) => (
          <li key={i}>
            {humanize(h.status)} · {formatDateTime(h.at, timeZone)}
            {h.error ? ` · ${h.error}` : ''}
            {showSource ? <span className="muted"> ({h.source})</span> : null}
          </li>
        ))}
      </ol>
    </details>
  );
}
