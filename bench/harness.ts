import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/log';
import { ensureTemporalCli, startDevServer, type DevServer } from '../src/temporal/devServer';
import { startFakeEvaluator, type FakeEvaluator } from '../test/fakes/evaluatorServer';
import { appAnswer, startFakeLlm, type FakeLlm } from '../test/fakes/llmServer';
import {
  apiAnswering,
  freePort,
  startEntryPoint,
  workerPolling,
  type ServiceProcess,
} from '../test/helpers/processes';

/**
 * What every benchmark runs against: the Temporal CLI dev server (SQLite), the API and one worker as
 * separate processes, and local LLM and evaluator servers with configurable latency.
 */
export interface BenchService {
  api: string;
  llm: FakeLlm;
  evaluator: FakeEvaluator;
  worker: ServiceProcess;
  close(): Promise<void>;
}

export const secret = 'bench-secret';

export async function startService(
  opts: { llmDelayMs?: number; vars?: Record<string, string> } = {},
): Promise<BenchService> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-bench-'));
  const temporalPort = await freePort();
  const temporal: DevServer = await startDevServer({
    cliPath: ensureTemporalCli(process.env.TEMPORAL_CLI_PATH),
    dataDir,
    port: temporalPort,
    uiPort: temporalPort + 1,
    namespace: 'default',
    logger: createLogger('silent'),
  });
  const llm = await startFakeLlm(() => ({
    ...appAnswer({
      'index.html': '<!doctype html><title>bench</title><p id="ok">ok</p>\n',
      'README.md': '# Bench\n',
    }),
    delayMs: opts.llmDelayMs ?? 0,
  }));
  const evaluator = await startFakeEvaluator();
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    PUBLIC_BASE_URL: api,
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: temporal.address,
    API_SECRETS: secret,
    OPENAI_BASE_URL: `${llm.url}/v1`,
    LLM_MODELS: 'fake-model',
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'info',
    ...opts.vars,
  };
  const apiProcess = startEntryPoint('server.ts', env);
  const worker = startEntryPoint('worker.ts', env);
  await apiAnswering(api);
  await workerPolling(worker);
  return {
    api,
    llm,
    evaluator,
    worker,
    async close() {
      await Promise.all([apiProcess.stop(), worker.stop()]);
      await temporal.stop();
      await Promise.all([llm.close(), evaluator.close()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function taskRequest(task: string, evaluator: FakeEvaluator, extra: Record<string, unknown> = {}) {
  return {
    email: 'bench@example.com',
    secret,
    task,
    round: 1,
    nonce: `${task}-n1`,
    brief: `Benchmark ${task}`,
    checks: [],
    evaluation_url: `${evaluator.url}/cb`,
    attachments: [],
    ...extra,
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
