import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { LocalBlobStore } from './blobs/blobStore';
import { loadConfigFromProcess, type Config } from './config';
import { createForge } from './forge/createForge';
import { ModelClient } from './llm/modelClient';
import { createLogger, type Logger } from './log';
import { runUntilSignalled } from './processLifecycle';
import { installTemporalRuntime } from './temporal/runtime';

/** Builds the activities' dependencies from configuration: the only place credentials are read. */
export function buildActivityDeps(config: Config): ActivityDeps {
  return {
    blobs: new LocalBlobStore(path.join(config.dataDir, 'blobs')),
    forge: createForge(config),
    model: new ModelClient(config.llm),
    knownSecrets: [config.github.token, config.llm.apiKey, ...config.apiSecrets].filter(
      (s): s is string => !!s,
    ),
  };
}

export async function createWorker(
  config: Config,
  connection: NativeConnection,
  logger: Logger,
): Promise<Worker> {
  const deps = buildActivityDeps(config);
  if (!deps.model.configured) {
    logger.warn(
      'No LLM is configured (OPENAI_API_KEY / OPENAI_BASE_URL): every round will fail at generation',
    );
  }
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: createActivities(deps),
  });
}

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  const logger = createLogger(config.logLevel);
  installTemporalRuntime(logger);
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is required to run the worker on its own');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createWorker(config, connection, logger);
  logger.info({ taskQueue: config.temporal.taskQueue }, 'worker polling');
  await runUntilSignalled(logger, worker.run(), async () => {
    worker.shutdown();
  });
  await connection.close();
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
