import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';

/**
 * Histories recorded from real runs (test/fixtures/histories, refreshed with
 * `RECORD_HISTORIES=1 npx jest durableRounds`) must replay on today's workflow code: a change
 * that would break running workflows fails here instead of in production.
 */
const dir = path.join(__dirname, '..', 'fixtures', 'histories');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.pb'));

test('there are recorded histories to replay', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(2);
});

test.each(fixtures)('%s replays deterministically', async (file) => {
  const history = temporal.api.history.v1.History.decode(readFileSync(path.join(dir, file)));
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows') }, history, file);
});
