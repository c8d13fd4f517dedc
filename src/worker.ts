import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, type InjectedSinks } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { LocalBlobStore } from './blobs/blobStore';
import { loadConfigFromProcess, type Config } from './config';
import { createForge } from './forge/createForge';
import { ModelClient } from './llm/modelClient';
import { SharedChromium } from './checks/sharedChromium';
import { createLogger, type Logger } from './log';
import { repairsTotal, roundDuration, roundsTotal, stepDuration } from './metrics';
import { runUntilSignalled } from './processLifecycle';
import type { MetricsSinks } from './shared';
import { installTemporalRuntime } from './temporal/runtime';
import { workflowCode } from './temporal/workflowBundle';

/** Builds the activities' dependencies from configuration: the only place credentials are read. */
export function buildActivityDeps(config: Config): ActivityDeps {
  return {
    blobs: new LocalBlobStore(path.join(config.dataDir, 'blobs')),
    forge: createForge(config),
    model: new ModelClient(config.llm),
    knownSecrets: [config.github.token, config.llm.apiKey, ...config.apiSecrets].filter(
      (s): s is string => !!s,
    ),
    checks: {
      chromiumPath: config.selfCheck.chromiumPath,
      checkTimeoutMs: config.selfCheck.checkTimeoutMs,
      browser: new SharedChromium(config.selfCheck.chromiumPath, config.worker.selfCheckConcurrency),
    },
  };
}

export interface ServiceWorker {
  worker: Worker;
  /** Closes what the activities hold beyond the worker (the shared Chromium); call after `run()` ends. */
  dispose(): Promise<void>;
}

export async function createWorker(
  config: Config,
  connection: NativeConnection,
  logger: Logger,
): Promise<ServiceWorker> {
  const deps = buildActivityDeps(config);
  if (deps.model.offline) {
    logger.warn(
      'LLM_MODELS=offline: apps are scaffold pages made without a model (no repairs, no judging). ' +
        'Set OPENAI_API_KEY (or OPENAI_BASE_URL) to have apps written by a model.',
    );
  } else if (!deps.model.configured) {
    logger.warn(
      'No LLM provider is configured (OPENAI_API_KEY / OPENAI_BASE_URL) for LLM_MODELS: every round will fail at generation',
    );
  }
  if (config.selfCheck.enabled && !existsSync(config.selfCheck.chromiumPath)) {
    logger.warn(
      { chromiumPath: config.selfCheck.chromiumPath },
      'Chromium was not found at CHROMIUM_PATH: self-checks will fail until it is installed (apt-get install chromium), or set SELF_CHECK=false',
    );
  }
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflowCode(),
    activities: createActivities(deps),
    sinks: metricsSinks(),
    maxConcurrentActivityTaskExecutions: config.worker.maxActivities,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
  });
  return { worker, dispose: async () => deps.checks.browser?.close() };
}

/** Where the workflow's metrics sink lands: the process's Prometheus registry. Never called on replay. */
export function metricsSinks(): InjectedSinks<MetricsSinks> {
  return {
    metrics: {
      stepFinished: { fn: (_info, step, seconds) => stepDuration.observe({ step }, seconds) },
      roundFinished: {
        fn: (_info, outcome, seconds) => {
          roundsTotal.inc({ outcome });
          roundDuration.observe(seconds);
        },
      },
      repairStarted: { fn: () => repairsTotal.inc() },
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  const logger = createLogger(config.logLevel);
  installTemporalRuntime(logger, config.workerMetricsPort);
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is required to run the worker on its own');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const { worker, dispose } = await createWorker(config, connection, logger);
  logger.info({ taskQueue: config.temporal.taskQueue, ...config.worker }, 'worker polling');
  await runUntilSignalled(logger, worker.run(), async () => {
    worker.shutdown();
  });
  await dispose();
  await connection.close();
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
