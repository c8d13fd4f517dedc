import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfigFromProcess } from './config';
import { createLogger } from './log';
import { runUntilSignalled } from './processLifecycle';
import { startApi } from './server';
import { ensureTemporalCli, startDevServer, type DevServer } from './temporal/devServer';
import { createWorker } from './worker';
import { installTemporalRuntime } from './temporal/runtime';

/**
 * `npm start`: the whole service in one process tree. Without TEMPORAL_ADDRESS it first starts an
 * embedded Temporal dev server (SQLite in DATA_DIR, Web UI), then the worker and the API.
 */
async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  const logger = createLogger(config.logLevel);
  installTemporalRuntime(logger, config.workerMetricsPort);

  let devServer: DevServer | undefined;
  let temporalAddress = config.temporal.address;
  if (!temporalAddress) {
    logger.info('starting the embedded Temporal dev server');
    devServer = await startDevServer({
      cliPath: ensureTemporalCli(config.temporal.cliPath),
      dataDir: config.dataDir,
      port: config.temporal.devPort,
      uiPort: config.temporal.devUiPort,
      namespace: config.temporal.namespace,
      logger,
    });
    temporalAddress = devServer.address;
  }

  try {
    const connection = await NativeConnection.connect({ address: temporalAddress });
    try {
      const { worker, dispose } = await createWorker(config, connection, logger);
      const api = await startApi(config, temporalAddress, logger, { localWorker: () => worker.getState() });
      const uiUrl = config.temporal.uiUrl ?? devServer?.uiUrl;
      logger.info(
        {
          api: config.publicBaseUrl,
          temporalUi: uiUrl,
          temporal: temporalAddress,
          forge: config.forge,
          dataDir: config.dataDir,
        },
        `ready: API ${config.publicBaseUrl}${uiUrl ? `, Temporal UI ${uiUrl}` : ''}`,
      );
      try {
        await runUntilSignalled(logger, worker.run(), async () => {
          // Stop taking requests first, then let the worker finish or hand back what it holds.
          await api.close();
          worker.shutdown();
        });
      } finally {
        await api.close();
        await dispose();
      }
    } finally {
      await connection.close();
    }
  } finally {
    await devServer?.stop();
  }
  logger.info('stopped');
}

main().catch((err: Error) => {
  process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `Failed to start: ${err.message}\n`);
  process.exit(1);
});
