import type { Logger } from './log';

/**
 * Runs until SIGINT/SIGTERM (or until `running` ends), then calls `stop` once and waits for
 * `running` to settle, so in-flight work is finished or handed back before the process exits.
 */
export async function runUntilSignalled(
  logger: Logger,
  running: Promise<unknown>,
  stop: () => Promise<void>,
): Promise<void> {
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    logger.info({ signal }, 'shutting down');
    stopping = stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await running;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopping;
  }
}
