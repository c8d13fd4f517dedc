import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

export const projectRoot = path.resolve(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) when the process ends by itself. */
  exited: Promise<number | string>;
  /** SIGTERM, then the exit code (or the signal's name). */
  stop(timeoutMs?: number): Promise<number | string>;
}

/**
 * Runs one of the service's entry points (src/main.ts, src/worker.ts, …) as its own process: from
 * source through tsx, or with `built` the compiled dist/*.js that `npm start` runs (after `npm run build`).
 */
export function startEntryPoint(
  entry: string,
  env: Record<string, string>,
  opts: { built?: boolean } = {},
): ServiceProcess {
  const args = opts.built
    ? [path.join(projectRoot, 'dist', entry.replace(/\.ts$/, '.js'))]
    : ['--require', 'tsx/cjs', path.join(projectRoot, 'src', entry)];
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    // A clean environment: nothing from the developer's shell (a GITHUB_TOKEN, say) leaks in.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    exited,
    output: () => output,
    async stop(timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        exited,
        new Promise<string>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (result === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
      return result;
    },
  };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resolves once the API at `url` answers `/health`. */
export function apiAnswering(url: string, what = 'the API'): Promise<true> {
  return waitFor(async () => ((await fetch(`${url}/health`)).ok ? true : undefined), 60_000, what);
}

/** Resolves once a worker process has logged that it polls its task queue. */
export function workerPolling(worker: ServiceProcess, what = 'the worker'): Promise<true> {
  return waitFor(async () => (worker.output().includes('worker polling') ? true : undefined), 60_000, what);
}
