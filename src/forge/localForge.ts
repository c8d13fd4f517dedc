import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { permanentFailure, retryableFailure } from '../failures';
import {
  commitMessage,
  hasIdempotencyKey,
  type Forge,
  type PublishRequest,
  type PublishResult,
  type RepoFile,
  type RepoRef,
  type WaitOptions,
} from './forge';
import { GitError, gitSucceeds, runGit } from './git';
import { pollUntilLive, siteAnswer } from './pagesWait';
import { initialRepoFiles } from './roundFiles';

export interface LocalForgeOptions {
  /** Folder holding `<owner>/<name>.git` bare repositories. */
  root: string;
  owner: string;
  /** Base URL of the API that serves `/git` and `/pages` for these repos. */
  publicBaseUrl: string;
  now?: () => Date;
}

const mainRef = 'refs/heads/main';
/** Marks a bare repo whose static site is switched on. */
const pagesMarker = 'llm-deploy-pages';
const author = 'LLM Deploy <llm-deploy@localhost>';
const publishAttempts = 5;

/**
 * Repos as bare git repositories on local disk; the API serves them for `git clone` and as static
 * sites. Needs no account, so the whole product runs on a fresh machine.
 */
export class LocalForge implements Forge {
  readonly kind = 'local' as const;
  private readonly now: () => Date;

  constructor(private readonly opts: LocalForgeOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  gitDirFor(owner: string, name: string): string {
    return path.join(this.opts.root, owner, `${name}.git`);
  }

  private ref(name: string): RepoRef {
    return { owner: this.opts.owner, name, url: `${this.opts.publicBaseUrl}/git/${this.opts.owner}/${name}` };
  }

  async ensureRepo(req: { name: string; description: string; mustExist: boolean }): Promise<RepoRef> {
    const repo = this.ref(req.name);
    const gitDir = this.gitDirFor(repo.owner, repo.name);
    if (await exists(gitDir)) return repo;
    if (req.mustExist) {
      throw permanentFailure(
        `Repository ${repo.owner}/${repo.name} does not exist, so there is no app to revise; send round 1 for this task first`,
        'RepoNotFound',
      );
    }
    // Build the repo aside and move it into place, so a concurrent ensureRepo never sees half a repo.
    const scratch = path.join(this.opts.root, '.tmp', `${req.name}-${randomBytes(6).toString('hex')}.git`);
    await mkdir(path.dirname(scratch), { recursive: true });
    await runGit(['init', '--bare', '--quiet', '--initial-branch=main', scratch], { gitDir: scratch });
    await writeFile(path.join(scratch, 'description'), `${req.description.split('\n')[0]!.slice(0, 200)}\n`);
    const files = initialRepoFiles({
      name: req.name,
      description: req.description,
      year: this.now().getUTCFullYear(),
      holder: this.opts.owner,
    });
    // The scratch repo is ours alone, so the commit can go straight onto main.
    await this.writeCommit(scratch, { message: `Create ${req.name}\n`, files, branch: mainRef });
    await mkdir(path.dirname(gitDir), { recursive: true });
    try {
      await rename(scratch, gitDir);
    } catch (err) {
      await rm(scratch, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
    return repo;
  }

  async headCommit(repo: RepoRef): Promise<string | undefined> {
    return this.head(await this.existingGitDir(repo));
  }

  async readFiles(repo: RepoRef): Promise<RepoFile[]> {
    const gitDir = await this.existingGitDir(repo);
    const head = await this.head(gitDir);
    if (!head) return [];
    const listing = (await runGit(['ls-tree', '-r', '-z', head], { gitDir })).toString('utf8');
    const entries = listing
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const [meta, filePath] = line.split('\t') as [string, string];
        const [, type, sha] = meta.split(' ') as [string, string, string];
        return { type, sha, path: filePath };
      })
      .filter((e) => e.type === 'blob');
    if (entries.length === 0) return [];
    const batch = await runGit(['cat-file', '--batch'], {
      gitDir,
      input: entries.map((e) => `${e.sha}\n`).join(''),
    });
    const files: RepoFile[] = [];
    let offset = 0;
    for (const entry of entries) {
      const headerEnd = batch.indexOf(0x0a, offset);
      const size = Number(batch.subarray(offset, headerEnd).toString('utf8').split(' ')[2]);
      files.push({
        path: entry.path,
        content: Buffer.from(batch.subarray(headerEnd + 1, headerEnd + 1 + size)),
      });
      offset = headerEnd + 1 + size + 1;
    }
    return files;
  }

  async publish(repo: RepoRef, req: PublishRequest): Promise<PublishResult> {
    const gitDir = await this.existingGitDir(repo);
    for (let attempt = 1; attempt <= publishAttempts; attempt++) {
      const head = await this.headWithMessage(gitDir);
      if (head && hasIdempotencyKey(head.message, req.idempotencyKey)) {
        return { commitSha: head.sha, created: false };
      }
      const sha = await this.writeCommit(gitDir, {
        parent: head?.sha,
        message: commitMessage(req),
        files: req.files,
      });
      // Compare-and-swap: only moves main if nobody else moved it since we read the head.
      if (await gitSucceeds(['update-ref', mainRef, sha, head?.sha ?? ''], { gitDir }))
        return { commitSha: sha, created: true };
    }
    throw retryableFailure(`main of ${repo.owner}/${repo.name} kept moving while publishing; will retry`);
  }

  async ensurePages(repo: RepoRef): Promise<{ pagesUrl: string }> {
    const gitDir = await this.existingGitDir(repo);
    await writeFile(path.join(gitDir, pagesMarker), 'main /\n');
    return { pagesUrl: this.pagesUrl(repo) };
  }

  async waitForPages(
    repo: RepoRef,
    commitSha: string,
    options: WaitOptions = {},
  ): Promise<{ pagesUrl: string }> {
    const gitDir = await this.existingGitDir(repo);
    if (!(await this.pagesEnabled(repo.owner, repo.name))) {
      throw permanentFailure(`Pages is not enabled for ${repo.owner}/${repo.name}`, 'PagesNotEnabled');
    }
    if (!(await gitSucceeds(['merge-base', '--is-ancestor', commitSha, mainRef], { gitDir }))) {
      throw permanentFailure(
        `Commit ${commitSha} is not on main of ${repo.owner}/${repo.name}`,
        'CommitNotOnMain',
      );
    }
    const pagesUrl = this.pagesUrl(repo);
    // The site is served by the API process, which may be elsewhere: confirm it answers.
    await pollUntilLive(
      async () => {
        const answer = await siteAnswer(pagesUrl);
        return answer === 'HTTP 200' ? 'live' : answer;
      },
      options,
      { intervalMs: 500, timeoutMs: 60_000 },
      (last) => `Pages at ${pagesUrl} did not answer 200 (last: ${last})`,
    );
    return { pagesUrl };
  }

  async checkAccess(): Promise<{ ok: boolean; detail: string }> {
    try {
      await mkdir(this.opts.root, { recursive: true });
      await access(this.opts.root, constants.W_OK);
      return { ok: true, detail: `LocalForge at ${this.opts.root}` };
    } catch (err) {
      return { ok: false, detail: `LocalForge cannot write ${this.opts.root}: ${(err as Error).message}` };
    }
  }

  async hasRepo(owner: string, name: string): Promise<boolean> {
    return exists(this.gitDirFor(owner, name));
  }

  async pagesEnabled(owner: string, name: string): Promise<boolean> {
    return exists(path.join(this.gitDirFor(owner, name), pagesMarker));
  }

  /** A file of `main`'s latest commit, or undefined when there is none at that path. */
  async readPublishedFile(owner: string, name: string, filePath: string): Promise<Buffer | undefined> {
    const gitDir = this.gitDirFor(owner, name);
    try {
      return await runGit(['cat-file', 'blob', `${mainRef}:${filePath}`], { gitDir });
    } catch {
      return undefined;
    }
  }

  private pagesUrl(repo: RepoRef): string {
    return `${this.opts.publicBaseUrl}/pages/${repo.owner}/${repo.name}/`;
  }

  private async existingGitDir(repo: RepoRef): Promise<string> {
    const gitDir = this.gitDirFor(repo.owner, repo.name);
    if (!(await exists(gitDir))) {
      throw permanentFailure(`Repository ${repo.owner}/${repo.name} does not exist`, 'RepoNotFound');
    }
    return gitDir;
  }

  private async head(gitDir: string): Promise<string | undefined> {
    try {
      return (await runGit(['rev-parse', '--verify', '--quiet', `${mainRef}^{commit}`], { gitDir }))
        .toString()
        .trim();
    } catch {
      return undefined;
    }
  }

  /** `main`'s latest commit and its message, read with one git process; undefined for an empty repo. */
  private async headWithMessage(gitDir: string): Promise<{ sha: string; message: string } | undefined> {
    let out: string;
    try {
      out = (await runGit(['log', '-1', '--format=%H%n%B', mainRef, '--'], { gitDir })).toString('utf8');
    } catch (err) {
      if (err instanceof GitError && err.exitCode !== null) return undefined;
      throw err;
    }
    const newline = out.indexOf('\n');
    return { sha: out.slice(0, newline), message: out.slice(newline + 1) };
  }

  /**
   * One commit with all files on top of `parent`'s tree, written by one fast-import run; returns its
   * sha. Without `branch` the commit is reachable from no ref (fast-import's `get-mark` reports it and
   * the closing `reset` drops the working ref), so the caller moves `main` with a compare-and-swap.
   */
  private async writeCommit(
    gitDir: string,
    commit: { parent?: string; message: string; files: RepoFile[]; branch?: string },
  ): Promise<string> {
    const ref = commit.branch ?? `refs/llm-deploy/publish-${randomBytes(6).toString('hex')}`;
    const when = `${Math.floor(this.now().getTime() / 1000)} +0000`;
    const msg = Buffer.from(commit.message, 'utf8');
    const parts: Buffer[] = [
      Buffer.from(
        `commit ${ref}\nmark :1\nauthor ${author} ${when}\ncommitter ${author} ${when}\ndata ${msg.length}\n`,
        'utf8',
      ),
      msg,
      Buffer.from(commit.parent ? `\nfrom ${commit.parent}\n` : '\n', 'utf8'),
    ];
    for (const f of commit.files) {
      parts.push(
        Buffer.from(`M 100644 inline ${f.path}\ndata ${f.content.length}\n`, 'utf8'),
        f.content,
        Buffer.from('\n'),
      );
    }
    parts.push(Buffer.from(`\nget-mark :1\n${commit.branch ? '' : `reset ${ref}\n\n`}done\n`, 'utf8'));
    const out = await runGit(['fast-import', '--quiet', '--done'], { gitDir, input: Buffer.concat(parts) });
    return out.toString('utf8').trim();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
