import { Octokit } from '@octokit/rest';
import { permanentFailure, retryableFailure } from '../failures';
import { pollUntilLive, siteAnswer } from './pagesWait';
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

export interface GitHubForgeOptions {
  token: string;
  apiUrl: string;
  /** User or organisation owning the repos; the token's user when unset. */
  owner?: string;
  /** How long one GitHub call may take before it is abandoned (and retried); default 60 s. */
  requestTimeoutMs?: number;
}

/**
 * Longer than any healthy call (a multi-megabyte blob upload included), shorter than the forge
 * activities' start-to-close timeout (2 min): a connection GitHub leaves hanging fails the call
 * retryably instead of holding an activity slot until undici's own 5-minute timeouts.
 */
const defaultRequestTimeoutMs = 60_000;

interface GitHubError {
  status: number;
  message: string;
  response?: { headers: Record<string, string | undefined>; data?: { message?: string } };
}

const publishAttempts = 5;
const branch = 'main';

/**
 * Publishes to GitHub through the git data API: one tree and one commit per publish, a
 * fast-forward-only ref update, Pages from `main` at `/`. Octokit's own retries are off (Temporal
 * retries); the token only ever travels in the Authorization header.
 */
export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  private readonly octokit: Octokit;
  private ownerLogin: Promise<string> | undefined;

  constructor(private readonly opts: GitHubForgeOptions) {
    this.octokit = new Octokit({
      auth: opts.token,
      baseUrl: opts.apiUrl,
      userAgent: 'llm-deploy',
      request: {
        retries: 0,
        fetch: (url: string, init: RequestInit) =>
          fetch(url, {
            ...init,
            signal: init.signal ?? AbortSignal.timeout(opts.requestTimeoutMs ?? defaultRequestTimeoutMs),
          }),
      },
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  }

  async checkAccess(): Promise<{ ok: boolean; detail: string }> {
    try {
      const me = await this.octokit.users.getAuthenticated();
      return { ok: true, detail: `GitHub token of ${me.data.login}` };
    } catch (err) {
      const status = (err as { status?: number }).status;
      return {
        ok: false,
        detail:
          status === 401
            ? 'GitHub refused GITHUB_TOKEN (401): it is invalid or expired'
            : `GitHub could not be reached (${status ? `HTTP ${status}` : (err as Error).message})`,
      };
    }
  }

  private owner(): Promise<string> {
    if (this.opts.owner) return Promise.resolve(this.opts.owner);
    if (!this.ownerLogin) {
      const lookup = this.call('read the token’s user', () => this.octokit.users.getAuthenticated()).then(
        (r) => r.data.login,
      );
      // A failed lookup is not remembered: one 5xx must not fail every later round of this worker.
      lookup.catch(() => {
        if (this.ownerLogin === lookup) this.ownerLogin = undefined;
      });
      this.ownerLogin = lookup;
    }
    return this.ownerLogin;
  }

  async ensureRepo(req: { name: string; description: string; mustExist: boolean }): Promise<RepoRef> {
    const owner = await this.owner();
    const existing = await this.findRepo(owner, req.name);
    if (existing) return existing;
    if (req.mustExist) {
      throw permanentFailure(
        `Repository ${owner}/${req.name} does not exist, so there is no app to revise; send round 1 for this task first`,
        'RepoNotFound',
      );
    }
    const settings = {
      name: req.name,
      description: req.description.slice(0, 350),
      private: false,
      auto_init: true,
    };
    try {
      const me = await this.call('read the token’s user', () => this.octokit.users.getAuthenticated());
      const created =
        me.data.login.toLowerCase() === owner.toLowerCase()
          ? await this.octokit.repos.createForAuthenticatedUser(settings)
          : await this.octokit.repos.createInOrg({ org: owner, ...settings });
      return { owner, name: req.name, url: created.data.html_url };
    } catch (err) {
      // Created meanwhile by a concurrent attempt: reuse it.
      const again = (err as GitHubError).status === 422 ? await this.findRepo(owner, req.name) : undefined;
      if (again) return again;
      throw this.failure(`create ${owner}/${req.name}`, err);
    }
  }

  async headCommit(repo: RepoRef): Promise<string | undefined> {
    try {
      const ref = await this.octokit.git.getRef({
        owner: repo.owner,
        repo: repo.name,
        ref: `heads/${branch}`,
      });
      return ref.data.object.sha;
    } catch (err) {
      // 404: no such branch; 409: the repository is empty.
      if ([404, 409].includes((err as GitHubError).status)) return undefined;
      throw this.failure(`read ${repo.owner}/${repo.name}`, err);
    }
  }

  async readFiles(repo: RepoRef): Promise<RepoFile[]> {
    const head = await this.headCommit(repo);
    if (!head) return [];
    const where = { owner: repo.owner, repo: repo.name };
    const commit = await this.call('read the head commit', () =>
      this.octokit.git.getCommit({ ...where, commit_sha: head }),
    );
    const tree = await this.call('read the tree', () =>
      this.octokit.git.getTree({ ...where, tree_sha: commit.data.tree.sha, recursive: 'true' }),
    );
    const blobs = tree.data.tree.filter((e) => e.type === 'blob' && e.path && e.sha);
    return Promise.all(
      blobs.map(async (e) => {
        const blob = await this.call(`read ${e.path}`, () =>
          this.octokit.git.getBlob({ ...where, file_sha: e.sha! }),
        );
        return {
          path: e.path!,
          content: Buffer.from(blob.data.content, blob.data.encoding === 'base64' ? 'base64' : 'utf8'),
        };
      }),
    );
  }

  async publish(repo: RepoRef, req: PublishRequest): Promise<PublishResult> {
    const where = { owner: repo.owner, repo: repo.name };
    for (let attempt = 1; attempt <= publishAttempts; attempt++) {
      const head = await this.headCommit(repo);
      const headCommit = head
        ? (
            await this.call('read the head commit', () =>
              this.octokit.git.getCommit({ ...where, commit_sha: head }),
            )
          ).data
        : undefined;
      if (head && headCommit && hasIdempotencyKey(headCommit.message, req.idempotencyKey)) {
        return { commitSha: head, created: false };
      }
      const entries = await Promise.all(req.files.map((f) => this.treeEntry(repo, f)));
      const tree = await this.call('create the tree', () =>
        this.octokit.git.createTree({
          ...where,
          tree: entries,
          ...(headCommit ? { base_tree: headCommit.tree.sha } : {}),
        }),
      );
      const commit = await this.call('create the commit', () =>
        this.octokit.git.createCommit({
          ...where,
          message: commitMessage(req),
          tree: tree.data.sha,
          parents: head ? [head] : [],
        }),
      );
      try {
        if (head)
          await this.octokit.git.updateRef({
            ...where,
            ref: `heads/${branch}`,
            sha: commit.data.sha,
            force: false,
          });
        else
          await this.octokit.git.createRef({ ...where, ref: `refs/heads/${branch}`, sha: commit.data.sha });
        return { commitSha: commit.data.sha, created: true };
      } catch (err) {
        // Someone moved main meanwhile (not a fast-forward): build again on the new head.
        if ((err as GitHubError).status !== 422) throw this.failure('update main', err);
      }
    }
    throw retryableFailure(`main of ${repo.owner}/${repo.name} kept moving while publishing; will retry`);
  }

  /** Text goes inline in the tree; binary content becomes a base64 blob first. */
  private async treeEntry(repo: RepoRef, f: RepoFile) {
    const base = { path: f.path, mode: '100644' as const, type: 'blob' as const };
    const text = f.content.toString('utf8');
    if (!f.content.includes(0) && Buffer.from(text, 'utf8').equals(f.content))
      return { ...base, content: text };
    const blob = await this.call(`upload ${f.path}`, () =>
      this.octokit.git.createBlob({
        owner: repo.owner,
        repo: repo.name,
        content: f.content.toString('base64'),
        encoding: 'base64',
      }),
    );
    return { ...base, sha: blob.data.sha };
  }

  async ensurePages(repo: RepoRef): Promise<{ pagesUrl: string }> {
    const where = { owner: repo.owner, repo: repo.name };
    const existing = await this.pagesSite(repo);
    if (existing) return { pagesUrl: existing };
    try {
      const created = await this.octokit.repos.createPagesSite({ ...where, source: { branch, path: '/' } });
      return { pagesUrl: created.data.html_url ?? '' };
    } catch (err) {
      // 409: Pages is already on (enabled meanwhile).
      const again = (err as GitHubError).status === 409 ? await this.pagesSite(repo) : undefined;
      if (again) return { pagesUrl: again };
      throw this.failure(`enable Pages for ${repo.owner}/${repo.name}`, err);
    }
  }

  private async pagesSite(repo: RepoRef): Promise<string | undefined> {
    try {
      const site = await this.octokit.repos.getPages({ owner: repo.owner, repo: repo.name });
      return site.data.html_url ?? undefined;
    } catch (err) {
      if ((err as GitHubError).status === 404) return undefined;
      throw this.failure(`read Pages of ${repo.owner}/${repo.name}`, err);
    }
  }

  async waitForPages(
    repo: RepoRef,
    commitSha: string,
    options: WaitOptions = {},
  ): Promise<{ pagesUrl: string }> {
    // The site is read (or, if Pages is off, enabled) inside the poll, so a transient failure of
    // that call is retried like any other poll.
    let pagesUrl: string | undefined;
    await pollUntilLive(
      async () => {
        pagesUrl ??= (await this.ensurePages(repo)).pagesUrl;
        return this.pagesState(repo, commitSha, pagesUrl);
      },
      options,
      { intervalMs: 1000, timeoutMs: 120_000 },
      (last) => `Pages for ${commitSha.slice(0, 7)} is not live yet (${last})`,
    );
    return { pagesUrl: pagesUrl! };
  }

  /** `live`, or what is still missing: the build of this commit, or a 200 from the site. */
  private async pagesState(repo: RepoRef, commitSha: string, pagesUrl: string): Promise<string> {
    const build = await this.call('read the latest Pages build', () =>
      this.octokit.repos.getLatestPagesBuild({ owner: repo.owner, repo: repo.name }),
    ).catch((err: Error) => {
      if ((err as unknown as GitHubError).status === 404) return undefined;
      throw err;
    });
    if (!build) return 'no build yet';
    if (build.data.commit !== commitSha)
      return `latest build is for ${String(build.data.commit).slice(0, 7)}`;
    if (build.data.status === 'errored') {
      throw permanentFailure(
        `GitHub Pages failed to build ${commitSha.slice(0, 7)}: ${build.data.error?.message ?? 'no reason given'}`,
        'PagesBuildFailed',
      );
    }
    if (build.data.status !== 'built') return `build ${build.data.status}`;
    const live = await siteAnswer(pagesUrl);
    return live === 'HTTP 200' ? 'live' : `built, site answered ${live}`;
  }

  private async findRepo(owner: string, name: string): Promise<RepoRef | undefined> {
    try {
      const found = await this.octokit.repos.get({ owner, repo: name });
      // GitHub redirects renamed and transferred repos: then the name is not ours to reuse.
      if (found.data.full_name.toLowerCase() !== `${owner}/${name}`.toLowerCase()) {
        throw permanentFailure(
          `The name ${owner}/${name} now leads to ${found.data.full_name} (renamed or transferred); use another task id or free the name`,
          'RepoNameTaken',
        );
      }
      if (found.data.archived)
        throw permanentFailure(
          `Repository ${owner}/${name} is archived; unarchive it or use another task id`,
          'RepoArchived',
        );
      return { owner, name, url: found.data.html_url };
    } catch (err) {
      if ((err as GitHubError).status === 404) return undefined;
      throw this.failure(`read ${owner}/${name}`, err);
    }
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.failure(what, err);
    }
  }

  /** Maps GitHub's answers to failures Temporal understands; messages never carry the token. */
  private failure(what: string, err: unknown): Error {
    const e = err as GitHubError;
    if (typeof e?.status !== 'number') return err as Error;
    const headers = e.response?.headers ?? {};
    // A call with no answer (refused, reset, timed out) is a 500 from Octokit with only a message.
    const said = e.response?.data?.message ?? e.message ?? 'no message';
    if (e.status === 401) {
      return permanentFailure(
        'GitHub rejected GITHUB_TOKEN (401): the token is invalid or expired; create a new one',
        'GitHubUnauthorized',
      );
    }
    const retryAfter = Number(headers['retry-after']);
    if (
      (e.status === 403 || e.status === 429) &&
      (headers['x-ratelimit-remaining'] === '0' || retryAfter > 0)
    ) {
      const reset = Number(headers['x-ratelimit-reset']);
      const delayMs =
        retryAfter > 0 ? retryAfter * 1000 : reset > 0 ? Math.max(1000, reset * 1000 - Date.now()) : 60_000;
      return retryableFailure(
        `GitHub rate limit while trying to ${what}; retrying in ${Math.round(delayMs / 1000)} s`,
        delayMs,
        'GitHubRateLimited',
      );
    }
    if (e.status === 403) {
      const needed = headers['x-accepted-oauth-scopes'];
      return permanentFailure(
        `GitHub refused to ${what} (403: ${said}). GITHUB_TOKEN needs the \`repo\` (or \`public_repo\`) scope and Pages write access${needed ? `; this call accepts: ${needed}` : ''}`,
        'GitHubForbidden',
      );
    }
    if (e.status >= 500 || e.status === 0)
      return retryableFailure(
        `GitHub failed to ${what} (${e.status}: ${said})`,
        undefined,
        'GitHubUnavailable',
      );
    return permanentFailure(`GitHub refused to ${what} (${e.status}: ${said})`, 'GitHubRefused');
  }
}
