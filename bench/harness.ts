import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalCli, startDevServer, type DevServer } from '../src/temporal/devServer';
import { startFakeEvaluator, type FakeEvaluator } from '../test/fakes/evaluatorServer';
import { startFakeGitHub, type FakeGitHub } from '../test/fakes/githubServer';
import { appAnswer, startFakeLlm, type FakeLlm } from '../test/fakes/llmServer';
import {
  apiAnswering,
  freePort,
  startEntryPoint,
  workerPolling,
  type ServiceProcess,
} from '../test/helpers/processes';
import { devServerOptions } from '../test/helpers/temporal';

/**
 * What every benchmark runs against: the Temporal CLI dev server (SQLite), the API and its workers as
 * separate processes, and local LLM, evaluator and (optionally) GitHub servers with configurable latency.
 */
export interface BenchService {
  api: string;
  llm: FakeLlm;
  evaluator: FakeEvaluator;
  /** Set when the service publishes to the local GitHub server (FORGE=github). */
  github: FakeGitHub | undefined;
  workers: ServiceProcess[];
  /** Every variable the service processes were started with, minus secrets. */
  settings: Record<string, string>;
  /** CPU time each part has used so far, in ms (user + system). */
  cpuMs(): { api: number; workers: number; temporal: number };
  close(): Promise<void>;
}

export const secret = 'bench-secret';

export interface ServiceOptions {
  llmDelayMs?: number;
  /** Worker processes (default 1; 0 measures the API and Temporal alone). */
  workers?: number;
  /** Publish to a local GitHub server whose Pages builds take this long. */
  github?: { firstBuildMs: number; buildMs: number };
  vars?: Record<string, string>;
}

export async function startService(opts: ServiceOptions = {}): Promise<BenchService> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-bench-'));
  const temporalPort = await freePort();
  const temporal: DevServer = await startDevServer({
    ...devServerOptions(dataDir, temporalPort),
    cliPath: ensureTemporalCli(process.env.TEMPORAL_CLI_PATH),
  });
  const llm = await startFakeLlm(() => ({
    ...appAnswer({
      'index.html': '<!doctype html><title>bench</title><p id="ok">ok</p>\n',
      'README.md': '# Bench\n',
    }),
    delayMs: opts.llmDelayMs ?? 0,
  }));
  const evaluator = await startFakeEvaluator();
  let github: FakeGitHub | undefined;
  if (opts.github) {
    github = await startFakeGitHub();
    Object.assign(github.timing, { queueMs: 0, ...opts.github });
  }
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const settings: Record<string, string> = {
    PORT: String(port),
    PUBLIC_BASE_URL: api,
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: temporal.address,
    OPENAI_BASE_URL: `${llm.url}/v1`,
    LLM_MODELS: 'fake-model',
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'info',
    ...(github ? { FORGE: 'github', GITHUB_API_URL: github.url, SELF_CHECK: 'false' } : {}),
    ...opts.vars,
  };
  const env = { ...settings, API_SECRETS: secret, ...(github ? { GITHUB_TOKEN: github.token } : {}) };
  // The compiled service, as `npm start` and the image run it (`npm run bench` builds first).
  const apiProcess = startEntryPoint('server.ts', env, { built: true });
  const workers = Array.from({ length: opts.workers ?? 1 }, () =>
    startEntryPoint('worker.ts', env, { built: true }),
  );
  await apiAnswering(api);
  for (const worker of workers) await workerPolling(worker);
  return {
    api,
    llm,
    evaluator,
    github,
    workers,
    settings,
    cpuMs: () => ({
      api: processCpuMs(apiProcess.child.pid),
      workers: workers.reduce((sum, w) => sum + processCpuMs(w.child.pid), 0),
      temporal: processCpuMs(temporal.pid),
    }),
    async close() {
      await Promise.all([apiProcess.stop(), ...workers.map((w) => w.stop())]);
      await temporal.stop();
      await Promise.all([llm.close(), evaluator.close(), github?.close()]);
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

/** Resolves once the evaluator has a callback for every task; throws after `timeoutMs`. */
export async function allCalledBack(
  evaluator: FakeEvaluator,
  tasks: string[],
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  const wanted = new Set(tasks);
  while (
    new Set(evaluator.callbacks.map((c) => String(c.body.task)).filter((t) => wanted.has(t))).size <
    wanted.size
  ) {
    if (Date.now() > until) throw new Error(`not every round called back within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** User + system CPU time a live process has used, in ms (Linux /proc; clock ticks of 10 ms). */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The most memory a process has held so far (Linux VmHWM), in MB. */
export function peakRssMb(proc: ServiceProcess): number {
  const status = readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return Math.round(kb / 1024);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
