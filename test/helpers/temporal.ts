import { TestWorkflowEnvironment } from '@temporalio/testing';
import { searchAttributes } from '../../src/shared';

/** A real Temporal dev server (the project's pinned CLI, never a download) with our search attributes. */
export function startTemporal(): Promise<TestWorkflowEnvironment> {
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
    },
  });
}
