import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../log';

/** Search attributes the service sets on every task workflow (see shared.ts). */
export const searchAttributeFlags = [
  'TaskId=Keyword',
  'TaskEmail=Keyword',
  'TaskRound=Int',
  'TaskState=Keyword',
];

const projectRoot = path.resolve(__dirname, '..', '..');

/** The Temporal CLI binary: TEMPORAL_CLI_PATH, or whatever scripts/install-temporal.sh provides. */
export function ensureTemporalCli(cliPath: string | undefined): string {
  if (cliPath) return cliPath;
  const run = spawnSync('bash', [path.join(projectRoot, 'scripts', 'install-temporal.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const installed = run.stdout.trim().split('\n').pop();
  if (run.status !== 0 || !installed) {
    throw new Error(
      'The Temporal CLI could not be installed (see the messages above), and TEMPORAL_ADDRESS is not set',
    );
  }
  return installed;
}

export interface DevServerOptions {
  cliPath: string;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  logger: Logger;
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  /** The server's process id (for resource accounting in benchmarks). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Server settings for the dev server (also given to the test suites' servers). Eager activity
 * execution: an activity scheduled by a workflow task goes back to the worker in the answer to that
 * workflow task's completion instead of through the task queue. It is recorded as started in the same
 * transaction, so durability is unchanged. Measured on our 2-core machine: a round with zero-latency
 * fakes went from about 500 to about 270 ms, because after a few rounds each matched activity waited
 * 30-40 ms between scheduled and started. A cluster enables it in its dynamic config (docker-compose).
 */
export const devServerDynamicConfig = ['system.enableActivityEagerExecution=true'];

/** `devServerDynamicConfig` as `temporal server start-dev` flags. */
export const devServerDynamicConfigFlags = devServerDynamicConfig.flatMap((setting) => [
  '--dynamic-config-value',
  setting,
]);

/** Starts `temporal server start-dev` with SQLite persistence in DATA_DIR and waits until it serves. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const dbDir = path.join(opts.dataDir, 'temporal');
  mkdirSync(dbDir, { recursive: true });
  const address = `127.0.0.1:${opts.port}`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--db-filename',
    path.join(dbDir, 'temporal.db'),
    '--log-level',
    'warn',
    // Write-ahead log, synced at checkpoints: twice the task starts per second of SQLite's default
    // rollback journal on our 2-core machine (44 → 93 req/s, BENCHMARKS.md). A killed dev server
    // loses nothing committed; only an OS crash or power cut can lose the last transactions.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    ...devServerDynamicConfigFlags,
    ...(opts.namespace === 'default' ? [] : ['--namespace', opts.namespace]),
    ...searchAttributeFlags.flatMap((f) => ['--search-attribute', f]),
  ];
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const recent: string[] = [];
  const remember = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      opts.logger.debug({ component: 'temporal' }, line);
    }
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve();
    }),
  );

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      throw new Error(
        `The Temporal dev server exited (code ${exited}) before it was ready:\n${recent.join('\n')}`,
      );
    }
    if (await isServing(address, opts.namespace)) break;
    if (Date.now() > deadline) {
      await stopChild(child, exit);
      throw new Error(`The Temporal dev server did not become ready at ${address}:\n${recent.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    address,
    uiUrl: `http://localhost:${opts.uiPort}`,
    pid: child.pid,
    stop: () => stopChild(child, exit),
  };
}

async function isServing(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function stopChild(child: ChildProcess, exit: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = await Promise.race([
    exit.then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000))),
  ]);
  clearTimeout(timer);
  if (!killed) {
    child.kill('SIGKILL');
    await exit;
  }
}
