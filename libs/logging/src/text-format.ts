import type { SerializedError } from './safe-error.js';

/** The fields every line has, written in their own places in the text format. */
const PLACED = new Set(['level', 'time', 'service', 'pid', 'context', 'msg', 'err']);
const IDS = ['requestId', 'correlationId', 'jobId', 'queue'] as const;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * LOG_FORMAT=text: one JSON line (as pino wrote it, redacted) made readable for a person at a
 * terminal, in-process (no pino-pretty worker thread):
 *
 *   14:03:07.412 INFO  [HTTP] POST /api/patients 201 12ms requestId=5c1e…
 *
 * local time, level, context, message, the ids, any other fields as JSON; an error's stack on
 * the lines after. The service is not named: `npm start` puts it in front of each line.
 */
export function jsonLineToText(line: string): string {
  const record = JSON.parse(line) as Record<string, unknown>;
  const time = new Date(String(record.time));
  const parts = [
    `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`,
    String(record.level).toUpperCase().padEnd(5),
  ];
  if (record.context) parts.push(`[${String(record.context)}]`);
  if (record.msg !== undefined) parts.push(String(record.msg));
  for (const id of IDS) if (record[id] !== undefined) parts.push(`${id}=${String(record[id])}`);
  const rest = Object.fromEntries(Object.entries(record).filter(([key]) => !PLACED.has(key) && !(IDS as readonly string[]).includes(key)));
  if (Object.keys(rest).length > 0) parts.push(JSON.stringify(rest));
  const err = record.err as SerializedError | undefined;
  const trace = err ? `\n    ${(err.stack ?? `${err.type}: ${err.message}`).replace(/\n\s*/g, '\n    ')}` : '';
  return `${parts.join(' ')}${trace}\n`;
}
