/**
 * The text/event-stream format (the HTML standard's "server-sent events"), read from a fetch
 * body: the browser's EventSource cannot send our Authorization header. No DOM, no I/O, so it
 * is tested on its own.
 */

export interface StreamEvent {
  /** The `event:` field; "message" when the event named none. */
  event: string;
  /** The `data:` lines joined by "\n". */
  data: string;
  /** The last `id:` seen, if any. */
  id?: string;
}

/**
 * Turns chunks of text, cut anywhere, into events. Lines end with LF, CRLF or CR (a CR at the end
 * of one chunk and an LF at the start of the next are one line end); a blank line dispatches the
 * event; lines starting with ":" are comments (keep-alives); one space after the colon is not
 * part of the value. An event with no data is not dispatched, as EventSource does.
 */
export class EventStreamParser {
  private buffer = '';
  private skipLeadingLf = false;
  private eventType = '';
  private data: string[] = [];
  private lastId: string | undefined;

  constructor(private readonly onEvent: (event: StreamEvent) => void) {}

  push(chunk: string): void {
    if (chunk === '') return; // keeps a CR that ended the last chunk waiting for its LF
    let text = chunk;
    if (this.skipLeadingLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLeadingLf = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (c === '\r') {
        if (i + 1 === this.buffer.length) this.skipLeadingLf = true;
        else if (this.buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream ended: an event not closed by a blank line is dropped (it may be cut short). */
  end(): void {
    this.buffer = '';
    this.skipLeadingLf = false;
    this.eventType = '';
    this.data = [];
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    // `retry:` and unknown fields: ignored (the reconnect delay is ours, reconnectDelay below).
  }

  private dispatch(): void {
    const data = this.data;
    const type = this.eventType || 'message';
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return;
    this.onEvent({ event: type, data: data.join('\n'), ...(this.lastId !== undefined ? { id: this.lastId } : {}) });
  }
}

/** How long to wait before reconnection attempt `attempt` (0 first): 1 s, doubling, at most 15 s. */
export function reconnectDelay(attempt: number, firstMs = 1_000, maxMs = 15_000): number {
  if (!(attempt > 0)) return firstMs;
  return Math.min(maxMs, firstMs * 2 ** Math.min(attempt, 30));
}
