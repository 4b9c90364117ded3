import pg from 'pg';
import { safeErrorMessage } from './errors.js';

export interface ChannelListenerOptions {
  /** The connection settings of the service's pool (`pool.options`): a connection of its own, outside the pool. */
  connection: pg.ClientConfig;
  channel: string;
  /** Called for each notification on the channel. */
  onNotify: () => void;
  /** Called when the connection is (re)established: whatever was notified while it was down is to be looked for. */
  onListening: () => void;
  warn: (line: string) => void;
  /** First wait before reconnecting, doubled up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * A PostgreSQL `LISTEN` on one channel over a connection of its own, reconnected with backoff
 * when it drops (PostgreSQL restarted, the backend terminated). A `NOTIFY` in a transaction is
 * delivered when, and only if, the transaction commits, which makes it the moment to look for
 * what the transaction wrote. The listener is only a wake-up: whoever uses it must still poll,
 * as notifications sent while it is down are lost (`onListening` says when to look again).
 */
export class ChannelListener {
  private client: pg.Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;
  private connected = false;

  constructor(private readonly options: ChannelListenerOptions) {}

  /** Whether notifications arrive right now. */
  get listening(): boolean {
    return this.connected;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.connected = false;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.options.connection);
    this.client = client;
    let gone = false;
    const lost = (reason: string) => {
      if (gone) return;
      gone = true;
      this.connected = false;
      if (this.client === client) this.client = null;
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      this.failures++;
      const wait = Math.min(this.options.maxRetryMs ?? 30_000, (this.options.retryMs ?? 500) * 2 ** Math.min(this.failures - 1, 10));
      // The first loss and then now and then: polling goes on meanwhile, so this is no outage.
      if (this.failures === 1 || this.failures % 20 === 0) this.options.warn(`listening on ${this.options.channel} stopped (${reason}); polling only, reconnecting in ${wait} ms`);
      this.retry = setTimeout(() => {
        this.retry = null;
        void this.connect();
      }, wait);
      this.retry.unref();
    };
    client.on('error', (error) => lost(safeErrorMessage(error)));
    client.on('end', () => lost('connection closed'));
    client.on('notification', (message) => {
      if (message.channel === this.options.channel) this.options.onNotify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.options.channel)}`);
    } catch (error) {
      lost(safeErrorMessage(error));
      return;
    }
    if (gone || this.stopped) {
      if (this.stopped) await client.end().catch(() => undefined);
      return;
    }
    this.failures = 0;
    this.connected = true;
    this.options.onListening();
  }
}
