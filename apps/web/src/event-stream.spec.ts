import { describe, expect, it } from '@jest/globals';
import { EventStreamParser, reconnectDelay, type StreamEvent } from './event-stream';

function parse(...chunks: string[]): StreamEvent[] {
  const events: StreamEvent[] = [];
  const parser = new EventStreamParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

describe('EventStreamParser', () => {
  it('reads the gateway\'s events: ready, then messages with a patient id', () => {
    const text = 'event: ready\ndata: {}\n\nevent: messages\ndata: {"patientId":"p1"}\n\n';
    expect(parse(text)).toEqual([
      { event: 'ready', data: '{}' },
      { event: 'messages', data: '{"patientId":"p1"}' },
    ]);
  });

  it('gives the same events however the text is cut into chunks, down to one character each', () => {
    const text = 'event: messages\r\ndata: {"patientId":"p1"}\r\n\r\n: keep-alive\r\rdata: a\rdata: b\r\r';
    const whole = parse(text);
    expect(whole).toEqual([
      { event: 'messages', data: '{"patientId":"p1"}' },
      { event: 'message', data: 'a\nb' },
    ]);
    expect(parse(...text.split(''))).toEqual(whole);
    for (let cut = 1; cut < text.length; cut++) expect(parse(text.slice(0, cut), text.slice(cut))).toEqual(whole);
  });

  it('treats a CR at the end of a chunk and an LF at the start of the next as one line end', () => {
    expect(parse('data: x\r', '\n\r', '\n')).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('skips comments (the keep-alive) and events without data, and ignores unknown fields and retry', () => {
    expect(parse(': keep-alive\n\n', 'event: ready\n\n', 'retry: 10\nfoo: bar\ndata: y\n\n')).toEqual([{ event: 'message', data: 'y' }]);
  });

  it('takes one space after the colon off the value, no more; a field without a colon has an empty value', () => {
    expect(parse('data:  two spaces\n\n', 'data:none\n\n', 'data\n\n')).toEqual([
      { event: 'message', data: ' two spaces' },
      { event: 'message', data: 'none' },
      { event: 'message', data: '' },
    ]);
  });

  it('keeps the last id, and forgets the event name once an event is dispatched', () => {
    expect(parse('id: 7\nevent: messages\ndata: a\n\ndata: b\n\n')).toEqual([
      { event: 'messages', data: 'a', id: '7' },
      { event: 'message', data: 'b', id: '7' },
    ]);
  });

  it('does not dispatch an event cut short by the end of the stream', () => {
    const events: StreamEvent[] = [];
    const parser = new EventStreamParser((e) => events.push(e));
    parser.push('event: messages\ndata: {"patientId"');
    parser.end();
    parser.push('data: next\n\n');
    expect(events).toEqual([{ event: 'message', data: 'next' }]);
  });
});

describe('reconnectDelay', () => {
  it('waits 1 s, then doubles up to 15 s', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map((n) => reconnectDelay(n))).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
  });

  it('treats a nonsense attempt number as the first attempt', () => {
    expect(reconnectDelay(-1)).toBe(1_000);
    expect(reconnectDelay(Number.NaN)).toBe(1_000);
  });
});
