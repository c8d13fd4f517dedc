import type { Server } from 'node:http';
import path from 'node:path';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { createApp, type AppDeps } from './api/app';
import { LocalBlobStore } from './blobs/blobStore';
import { loadConfigFromProcess, type Config } from './config';
import { createForge, createLocalForge, localForgeRoot } from './forge/createForge';
import { localForgeRouter } from './forge/localForgeHttp';
import { createLogger, type Logger } from './log';
import { runUntilSignalled } from './processLifecycle';

export interface RunningApi {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Starts the HTTP API on one lazily connected Temporal client shared by all requests. */
export async function startApi(
  config: Config,
  temporalAddress: string,
  logger: Logger,
  options: Pick<AppDeps, 'localWorker'> = {},
): Promise<RunningApi> {
  if (config.apiSecrets.length === 0) {
    logger.warn('API_SECRETS is not set: any non-empty secret is accepted (local development only)');
  }
  // Requests wait for Temporal only briefly: an issuer is better served by a quick 503 than a hang.
  // The SDK's own retries (about 0.7 s in all here) ride out a blip without outliving the request.
  const connection = Connection.lazy({
    address: temporalAddress,
    connectTimeout: '3s',
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4, maxJitter: 0.1 }))],
  });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const localForge = config.forge === 'local' ? createLocalForge(config) : undefined;
  const app = createApp({
    config,
    temporal,
    blobs: new LocalBlobStore(path.join(config.dataDir, 'blobs')),
    logger,
    forge: localForge ?? createForge(config),
    ...(localForge ? { forgeRoutes: localForgeRouter(localForge, localForgeRoot(config)) } : {}),
    ...options,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : config.port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await connection.close().catch(() => undefined);
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  const logger = createLogger(config.logLevel);
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is required to run the API on its own');
  const api = await startApi(config, config.temporal.address, logger);
  logger.info({ url: config.publicBaseUrl }, 'API listening');
  await runUntilSignalled(logger, new Promise((resolve) => api.server.once('close', resolve)), api.close);
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
