import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { Logger } from '../log';

const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * Installs the Temporal SDK runtime once per process: its logs (workflow, activity and worker)
 * go through our logger, its metrics are served on `metricsPort` when given, and it leaves SIGINT/SIGTERM to us so shutdown happens in our order.
 */
export function installTemporalRuntime(logger: Logger, metricsPort?: number): void {
  const sdkLogger = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    shutdownSignals: [],
    // The SDK's own metrics (task slots, poll latencies, activity and workflow counts) for Prometheus.
    ...(metricsPort
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${metricsPort}` } } } }
      : {}),
    logger: new DefaultLogger('INFO', (entry: LogEntry) => {
      sdkLogger[levels[entry.level]]({ ...entry.meta }, entry.message);
    }),
  });
}
