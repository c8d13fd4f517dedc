import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFromProcess } from '../../src/config';

/** `.env` in the working directory is read; variables already in the environment win. */
const saved = { ...process.env };
const cwd = process.cwd();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-env-'));
  process.chdir(dir);
});

afterEach(() => {
  process.chdir(cwd);
  process.env = { ...saved };
  rmSync(dir, { recursive: true, force: true });
});

test('settings come from .env when the environment does not have them', () => {
  writeFileSync(
    path.join(dir, '.env'),
    'PORT=4321\nLLM_MODELS=a,b\n# a comment\nROUND_DEADLINE_SECONDS=300\n',
  );
  delete process.env.PORT;
  delete process.env.LLM_MODELS;
  process.env.ROUND_DEADLINE_SECONDS = '120';
  const config = loadConfigFromProcess();
  expect(config.port).toBe(4321);
  expect(config.llm.models).toEqual(['a', 'b']);
  expect(config.roundDeadlineMs).toBe(120_000);
});

test('no .env is fine', () => {
  delete process.env.PORT;
  expect(loadConfigFromProcess().port).toBe(3000);
});
