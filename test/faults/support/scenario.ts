import { setTimeout as sleep } from 'node:timers/promises';
import type { TestSystem, TestSystemOptions } from '../../support/test-system.js';
import { advancePastTheDrill, drillSystem, setUpDrill, virtualNow, type Drill } from './drill.js';
import { LedgerReader, type Ledger } from './ledger.js';
import { LoadGenerator, type LoadOptions } from './load.js';
import { recordScenario } from './report.js';

export interface ScenarioOptions {
  /** Started consultations the clinician completes during the scenario (default 24). */
  consultations?: number;
  system?: TestSystemOptions;
  load?: (drill: Drill) => LoadOptions;
  /** Load before the fault (default 15 s) and after it (default 15 s). */
  beforeMs?: number;
  afterMs?: number;
  /** How long the backlog of the fault may take to be worked off, and the window to settle. */
  recoveryTimeoutMs?: number;
  /** The scenario strikes nothing at a moment (replicas): no recovery to time. */
  noFault?: boolean;
}

export interface ScenarioResult {
  ledger: Ledger;
  load: LoadGenerator;
  recoveryMs: number | null;
  /** The fault, in virtual time. */
  fault: { start: Date; end: Date };
  window: { from: Date; until: Date };
}

/**
 * One fault scenario: the stage is set (setUp, in beforeAll), the load runs, the fault strikes
 * (what the spec passes to run()), the load goes on, then the clock moves past the drill's span
 * and the ledger is read once everything due has settled (or the deadline passed). The row goes
 * to the report; the spec asserts on the result.
 */
export class FaultScenario {
  drill!: Drill;
  readonly system: TestSystem;
  private readonly startedAt = Date.now();
  private reader?: LedgerReader;

  constructor(
    readonly name: string,
    private readonly options: ScenarioOptions = {},
  ) {
    this.system = drillSystem(options.system);
  }

  async setUp(): Promise<Drill> {
    this.drill = await setUpDrill(this.system, this.options.consultations ?? 24);
    this.reader = new LedgerReader(this.system.database.url);
    return this.drill;
  }

  /** Stops whatever setUp got to start, even after a failed start. */
  async tearDown(): Promise<void> {
    await this.reader?.close();
    await this.system.stop();
  }

  get ledgerReader(): LedgerReader {
    return this.reader!;
  }

  /**
   * Runs the scenario around `fault`; `notes` adds the scenario's own numbers to its report row.
   * `fault` returns when the fault is over (the service back, the server up again).
   */
  async run(fault: (load: LoadGenerator) => Promise<void>, notes: (load: LoadGenerator) => Record<string, unknown> | Promise<Record<string, unknown>> = () => ({})): Promise<ScenarioResult> {
    const { drill } = this;
    const reader = this.reader!;
    const from = virtualNow(drill);
    const load = new LoadGenerator(drill, this.options.load?.(drill));
    const recoveryTimeoutMs = this.options.recoveryTimeoutMs ?? 90_000;
    load.start();
    let faultWindow: ScenarioResult['fault'];
    let recovered: Promise<Date | null>;
    let faultEndedAt: number;
    try {
      await sleep(this.options.beforeMs ?? 15_000);
      const start = virtualNow(drill);
      await fault(load);
      faultEndedAt = Date.now();
      faultWindow = { start, end: virtualNow(drill) };
      // The backlog the fault left (everything due by its end) is watched from now on, while the load goes on.
      recovered = reader.waitForBacklog(from, faultWindow.end, recoveryTimeoutMs).catch(() => null);
      await sleep(this.options.afterMs ?? 15_000);
    } finally {
      await load.stop();
    }
    const recoveredAt = await recovered;
    await advancePastTheDrill(drill);
    const until = virtualNow(drill);
    const ledger = await reader.settle(from, until, drill.system.twilio.messages, recoveryTimeoutMs);
    const recoveryMs = recoveredAt && !this.options.noFault ? Math.max(0, recoveredAt.getTime() - faultEndedAt) : null;
    const requests: Record<string, number> = {};
    for (const r of load.requests) requests[`${r.operation} ${r.status || 'no answer'}`] = (requests[`${r.operation} ${r.status || 'no answer'}`] ?? 0) + 1;
    const { problems, ...counts } = ledger;
    await recordScenario({ scenario: this.name, ...counts, recoveryMs, wallMs: Date.now() - this.startedAt, requests, notes: { ...(await notes(load)), problems: problems.slice(0, 20), slowestRequestMs: load.slowestMs } });
    return { ledger, load, recoveryMs, fault: faultWindow, window: { from, until } };
  }
}
