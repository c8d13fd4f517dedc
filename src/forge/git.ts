import { spawn } from 'node:child_process';

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `git ${args[0] ?? ''} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
    this.name = 'GitError';
  }
}

export interface GitRun {
  gitDir: string;
  input?: Buffer | string;
  env?: Record<string, string>;
}

/** Runs git against a bare repository, isolated from the user's and system's git configuration. */
export function runGit(args: string[], run: GitRun): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_DIR: run.gitDir,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_TERMINAL_PROMPT: '0',
        LC_ALL: 'C',
        ...run.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) =>
      reject(
        new GitError(
          args,
          null,
          (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'git is not installed' : e.message,
        ),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new GitError(args, code, Buffer.concat(err).toString('utf8')));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(run.input ?? '');
  });
}

/** Like runGit, but a non-zero exit means "no" rather than an error (rev-parse --verify, merge-base). */
export async function gitSucceeds(args: string[], run: GitRun): Promise<boolean> {
  try {
    await runGit(args, run);
    return true;
  } catch (e) {
    if (e instanceof GitError && e.exitCode !== null) return false;
    throw e;
  }
}
