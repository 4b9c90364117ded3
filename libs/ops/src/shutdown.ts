import { Logger, type INestApplicationContext } from '@nestjs/common';

/**
 * How long a service may take to stop after SIGTERM: its workers finish the jobs they hold, the
 * gateway the requests under way. Below docker-compose's stop_grace_period (15 s), so the
 * service, not Docker's SIGKILL, decides. A job still running then is left to its lock: it
 * expires and another instance (or this one, restarted) runs the job again, which finds its row
 * done or asks the provider before sending again.
 */
export const SHUTDOWN_DEADLINE_MS = 10_000;

const DEADLINE_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM (or Ctrl-C) run the shutdown hooks, then exit 0. Nest's default re-raises the
 * signal once the hooks are done, so the process ends "killed by SIGTERM", which an orchestrator
 * cannot tell from a stop that went wrong. Past the deadline the process exits 1, saying so.
 */
export function exitCleanlyOnSignals(app: INestApplicationContext): void {
  app.enableShutdownHooks([], { useProcessExit: true });
  for (const signal of DEADLINE_SIGNALS) {
    process.once(signal, () => {
      setTimeout(() => {
        new Logger('Shutdown').error(`still stopping ${SHUTDOWN_DEADLINE_MS / 1000} s after ${signal}: exiting; jobs still running are left to their locks`);
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS).unref();
    });
  }
}
