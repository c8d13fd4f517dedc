import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  test('defaults give a local, embedded, account-free service', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.publicBaseUrl).toBe('http://localhost:3000');
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.temporal).toMatchObject({
      address: undefined,
      namespace: 'default',
      taskQueue: 'llm-deploy',
      uiUrl: 'http://localhost:8233',
    });
    expect(c.forge).toBe('local');
    expect(c.github.apiUrl).toBe('https://api.github.com');
    expect(c.llm.models).toEqual(['offline']);
    expect(c.selfCheck).toEqual({
      enabled: true,
      chromiumPath: '/usr/bin/chromium',
      checkTimeoutMs: 15_000,
      maxRepairs: 2,
    });
    expect(c.roundDeadlineMs).toBe(600_000);
    expect(c.idleTimeoutMs).toBe(7 * 24 * 3600 * 1000);
    expect(c.maxBodyBytes).toBe(20 * 1024 * 1024);
    expect(c.apiSecrets).toEqual([]);
  });

  test('a configured provider makes a real model the default; offline is never mixed with models', () => {
    expect(loadConfig({ OPENAI_API_KEY: 'k' }).llm.models).toEqual(['gpt-4.1-mini']);
    expect(loadConfig({ OPENAI_BASE_URL: 'http://localhost:11434/v1' }).llm.models).toEqual(['gpt-4.1-mini']);
    expect(loadConfig({ OPENAI_API_KEY: 'k', LLM_MODELS: 'offline' }).llm.models).toEqual(['offline']);
    expect(() => loadConfig({ LLM_MODELS: 'gpt-4.1,offline' })).toThrow(/LLM_MODELS cannot mix "offline"/);
  });

  test('self-check settings are validated', () => {
    const c = loadConfig({ SELF_CHECK: 'false', CHECK_TIMEOUT_SECONDS: '2.5', MAX_REPAIRS: '0' });
    expect(c.selfCheck).toMatchObject({ enabled: false, checkTimeoutMs: 2500, maxRepairs: 0 });
    expect(() => loadConfig({ MAX_REPAIRS: '-1' })).toThrow(/MAX_REPAIRS must be 0 or more/);
    expect(() => loadConfig({ MAX_REPAIRS: 'two' })).toThrow(/MAX_REPAIRS must be a number/);
    expect(() => loadConfig({ SELF_CHECK: 'maybe' })).toThrow(/SELF_CHECK must be true or false/);
  });

  test('worker tuning has defaults for hundreds of waiting rounds, and refuses nonsense', () => {
    expect(loadConfig({}).worker).toEqual({
      maxActivities: 1000,
      maxCachedWorkflows: 1000,
      selfCheckConcurrency: 2,
    });
    const c = loadConfig({
      WORKER_MAX_ACTIVITIES: '50',
      WORKER_MAX_CACHED_WORKFLOWS: '0',
      SELF_CHECK_CONCURRENCY: '4',
    });
    expect(c.worker).toEqual({ maxActivities: 50, maxCachedWorkflows: 0, selfCheckConcurrency: 4 });
    expect(() => loadConfig({ WORKER_MAX_ACTIVITIES: '0' })).toThrow(
      /WORKER_MAX_ACTIVITIES must be 1 or more/,
    );
    expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '1.5' })).toThrow(
      /WORKER_MAX_CACHED_WORKFLOWS must be a whole number/,
    );
    expect(() => loadConfig({ SELF_CHECK_CONCURRENCY: '100' })).toThrow(
      /SELF_CHECK_CONCURRENCY must be at most 64/,
    );
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(
      /RATE_LIMIT_PER_MINUTE must be 0 or more/,
    );
  });

  test('lists are comma-separated and trimmed; URLs lose trailing slashes', () => {
    const c = loadConfig({
      API_SECRETS: ' a, b ,,c ',
      LLM_MODELS: 'm1,m2',
      OPENAI_BASE_URL: 'http://localhost:11434/v1/',
      PORT: '8080',
    });
    expect(c.apiSecrets).toEqual(['a', 'b', 'c']);
    expect(c.llm.models).toEqual(['m1', 'm2']);
    expect(c.llm.baseUrl).toBe('http://localhost:11434/v1');
    expect(c.publicBaseUrl).toBe('http://localhost:8080');
  });

  test('a GITHUB_TOKEN makes GitHub the default forge, and then API_SECRETS is required', () => {
    expect(() => loadConfig({ GITHUB_TOKEN: 'x' })).toThrow(/API_SECRETS is required/);
    expect(loadConfig({ GITHUB_TOKEN: 'x', API_SECRETS: 's' }).forge).toBe('github');
    expect(loadConfig({ GITHUB_TOKEN: 'x', FORGE: 'local' }).forge).toBe('local');
    expect(() => loadConfig({ FORGE: 'github', API_SECRETS: 's' })).toThrow(
      /GITHUB_TOKEN is required when FORGE=github/,
    );
  });

  test('with TEMPORAL_ADDRESS set there is no embedded UI URL unless given', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }).temporal.uiUrl).toBeUndefined();
    expect(
      loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_UI_URL: 'http://ui:8080' }).temporal.uiUrl,
    ).toBe('http://ui:8080');
  });

  test('durations and sizes read the way people write them', () => {
    expect(loadConfig({ IDLE_TIMEOUT: '90s' }).idleTimeoutMs).toBe(90_000);
    expect(loadConfig({ IDLE_TIMEOUT: '30m' }).idleTimeoutMs).toBe(1_800_000);
    expect(loadConfig({ IDLE_TIMEOUT: '45' }).idleTimeoutMs).toBe(45_000);
    expect(loadConfig({ MAX_BODY_BYTES: '512kb' }).maxBodyBytes).toBe(512 * 1024);
  });

  test.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['PUBLIC_BASE_URL', 'not a url'],
    ['FORGE', 'gitlab'],
    ['ROUND_DEADLINE_SECONDS', '-5'],
    ['IDLE_TIMEOUT', 'a week'],
    ['MAX_BODY_BYTES', 'huge'],
    ['LOG_LEVEL', 'loud'],
    ['GITHUB_API_URL', 'ftp://github'],
  ])('an invalid %s=%s stops start-up with a message naming it', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(1);
  });
});
