import { useEffect, useRef, useState } from 'react';
import { accessToken, onSessionChange, readSession, renewSession, withQuery } from './api';
import { EventStreamParser, reconnectDelay } from './event-stream';

export type LiveStatus = 'connecting' | 'live' | 'offline';

/** Events close together (a send, then its delivery) make one reload. */
const COALESCE_MS = 150;

/**
 * Keeps a view of messages up to date: listens to GET /api/live (one patient's messages, or with
 * `patientId` null every patient of the user's clinic) and calls `onChange` when a message is
 * sent, delivered, fails or comes in. Also once each time the stream becomes live - the first
 * time too - since changes made while it was not live were not announced. Events arriving
 * within COALESCE_MS of each other make one call.
 *
 * Reads the stream with fetch, which can send our Authorization header (EventSource cannot), and
 * reconnects with backoff (1 s doubling to 15 s) when the connection drops or the server ends
 * it. Stops when the component unmounts or the session ends (a 401 that renewing the token does
 * not cure ends it, as api() does); a 400 or 403 is not retried. Returns 'live' only after the server's `ready`.
 */
export function useLive(patientId: string | null, onChange: () => void): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    let unmounted = false;
    let controller: AbortController | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let coalesceTimer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    /** The token the current stream was opened with. */
    let token: string | null = null;

    const changed = () => {
      // Not a sliding debounce: a steady trickle of events must not put the reload off forever.
      coalesceTimer ??= setTimeout(() => {
        coalesceTimer = undefined;
        if (!unmounted) onChangeRef.current();
      }, COALESCE_MS);
    };

    const halt = () => {
      controller?.abort();
      controller = null;
      clearTimeout(retryTimer);
    };

    const connect = async () => {
      const session = readSession();
      if (!session) {
        setStatus('offline');
        return;
      }
      token = session.accessToken;
      const mine = new AbortController();
      controller = mine;
      setStatus('connecting');
      let retry = true;
      try {
        // Renewed first when it is about to run out (a stream outlives its token: fine, the
        // token is checked when the stream opens).
        const bearer = await accessToken();
        if (!bearer) throw new Error('signed out');
        const response = await fetch(withQuery('/api/live', { patientId }), {
          headers: { Accept: 'text/event-stream', Authorization: `Bearer ${bearer}` },
          cache: 'no-store',
          signal: mine.signal,
        });
        if (response.status === 401) {
          // Renewed once and tried again; when the session has ended, renewSession signs out.
          retry = (await renewSession().catch(() => null)) !== null;
        } else if (response.status >= 400 && response.status < 500) {
          retry = false; // a bad patient id or a role without access: trying again will not help
        } else if (response.ok && response.body) {
          const parser = new EventStreamParser((event) => {
            if (event.event === 'ready') {
              attempt = 0;
              setStatus('live');
              changed();
            } else if (event.event === 'messages') {
              changed();
            }
          });
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            parser.push(decoder.decode(value, { stream: true }));
          }
        }
      } catch {
        // The connection failed or dropped (or was aborted: then `controller` moved on, below).
      }
      if (unmounted || controller !== mine) return;
      controller = null;
      setStatus('offline');
      if (retry) retryTimer = setTimeout(() => void connect(), reconnectDelay(attempt++));
    };

    void connect();
    const stopListening = onSessionChange((session) => {
      if (session && session.accessToken === token) return;
      halt();
      token = null;
      if (session) {
        // Signed in again (or as someone else): a new stream with the new token.
        attempt = 0;
        void connect();
      } else {
        setStatus('offline');
      }
    });

    return () => {
      unmounted = true;
      stopListening();
      halt();
      clearTimeout(coalesceTimer);
    };
  }, [patientId]);

  return status;
}
