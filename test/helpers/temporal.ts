import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createLogger } from '../../src/log';
import { searchAttributes } from '../../src/shared';
import { devServerDynamicConfigFlags, type DevServerOptions } from '../../src/temporal/devServer';

/**
 * A real Temporal dev server (the project's pinned CLI, never a download) with our search attributes
 * and the server settings `npm start` uses. `extraArgs` go to `temporal server start-dev`, e.g.
 * dynamic config that shrinks limits for a test.
 */
export function startTemporal(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli)
    throw new Error(
      'TEMPORAL_CLI_PATH is not set; run the tests through jest (globalSetup installs the CLI)',
    );
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      searchAttributes: Object.values(searchAttributes),
      ip: '127.0.0.1',
      extraArgs: [...devServerDynamicConfigFlags, ...extraArgs],
    },
  });
}

/** Keeps test output to warnings and errors; the runtime can be installed once per process. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by an earlier suite in this worker
  }
}

/**
 * Saves a workflow's history as a replay fixture (`test/fixtures/histories/<name>.pb`), for suites
 * run with `RECORD_HISTORIES=1` after a deliberate, compatible change to the workflow.
 */
export async function recordHistory(
  env: TestWorkflowEnvironment,
  workflowId: string,
  name: string,
): Promise<void> {
  const dir = path.join(__dirname, '..', 'fixtures', 'histories');
  mkdirSync(dir, { recursive: true });
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(path.join(dir, `${name}.pb`), temporal.api.history.v1.History.encode(history).finish());
}

/** A Temporal CLI dev server keeping its SQLite database in `dataDir`: restartable on the same data. */
export function devServerOptions(dataDir: string, port: number): DevServerOptions {
  return {
    cliPath: process.env.TEMPORAL_CLI_PATH!,
    dataDir,
    port,
    uiPort: port + 1,
    namespace: 'default',
    logger: createLogger('silent'),
  };
}
