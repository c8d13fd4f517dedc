import { createHash } from 'node:crypto';
import type http from 'node:http';
import type { components } from '@octokit/openapi-types';
import { listenLocal, readBody, type LocalServer } from './httpServer';

/**
 * The subset of GitHub's REST API that GitHubForge uses, in memory, with GitHub's status codes and
 * JSON shapes (typed with @octokit/openapi-types): repos, git blobs/trees/commits/refs, Pages with
 * simulated builds, and the Pages site itself. Faults can be injected per route; calls are counted.
 */
type Schemas = components['schemas'];

interface Repo {
  owner: string;
  name: string;
  description: string;
  archived: boolean;
  refs: Map<string, string>;
  pages?: {
    builds: {
      commit: string;
      status: 'building' | 'built' | 'errored';
      visibleAt: number;
      readyAt: number;
      error?: string;
    }[];
  };
}

export interface Fault {
  /** The answer instead of the route's own; omit it (with `delayMs`) to answer normally, late. */
  status?: number;
  message?: string;
  headers?: Record<string, string>;
  /** How many matching calls fail; default 1. */
  times?: number;
  /** Answer only after this long, as a GitHub that leaves the connection hanging. */
  delayMs?: number;
}

export interface FakeGitHub extends LocalServer {
  token: string;
  login: string;
  repos: Map<string, Repo>;
  /** `METHOD /route/pattern` → number of calls. */
  calls: Map<string, number>;
  /** Fails the next calls of a route (`METHOD /route/pattern`), e.g. `POST /repos/{owner}/{repo}/git/trees`. */
  inject(route: string, fault: Fault): void;
  /** Fails this share of all authenticated API calls (0–1) with this status, chosen by `random`. */
  randomFaults: { rate: number; status: number; random: () => number };
  /** A build shows up `queueMs` after a push (or when the site's previous build ends) and takes `buildMs` (a site's first build: `firstBuildMs`). */
  timing: { queueMs: number; buildMs: number; firstBuildMs: number };
  parentOf(sha: string): string | undefined;
  failNextBuild(message: string): void;
  /** Makes `from` (owner/name) lead to the existing repo `to`, as a rename or transfer does. */
  redirect(from: string, to: string): void;
  commitMessages(owner: string, name: string): string[];
}

type Obj =
  | { type: 'blob'; content: Buffer }
  | { type: 'tree'; entries: Map<string, string> }
  | { type: 'commit'; tree: string; parents: string[]; message: string };

export async function startFakeGitHub(opts: { token?: string; login?: string } = {}): Promise<FakeGitHub> {
  const token = opts.token ?? 'ghp_fakeTokenForTests000000000000000000';
  const login = opts.login ?? 'student';
  const objects = new Map<string, Obj>();
  const repos = new Map<string, Repo>();
  const redirects = new Map<string, string>();
  const calls = new Map<string, number>();
  const faults = new Map<string, Fault>();
  const randomFaults: FakeGitHub['randomFaults'] = { rate: 0, status: 502, random: Math.random };
  const timing = { queueMs: 0, buildMs: 50, firstBuildMs: 50 };
  let nextBuildError: string | undefined;
  let base = '';

  const store = (o: Obj): string => {
    const body =
      o.type === 'blob' ? o.content : Buffer.from(JSON.stringify(o.type === 'tree' ? [...o.entries] : o));
    const sha = createHash('sha1').update(`${o.type} ${body.length}\0`).update(body).digest('hex');
    objects.set(sha, o);
    return sha;
  };
  const flatten = (treeSha: string, prefix = ''): Map<string, string> => {
    const out = new Map<string, string>();
    const tree = objects.get(treeSha);
    if (tree?.type !== 'tree') return out;
    for (const [name, sha] of tree.entries) {
      const o = objects.get(sha);
      if (o?.type === 'tree') for (const [p, s] of flatten(sha, `${prefix}${name}/`)) out.set(p, s);
      else out.set(`${prefix}${name}`, sha);
    }
    return out;
  };
  const buildTree = (files: Map<string, string>): string => {
    const root = new Map<string, string | Map<string, unknown>>();
    for (const [p, sha] of files) {
      const parts = p.split('/');
      let node = root as Map<string, unknown>;
      for (const dir of parts.slice(0, -1)) {
        if (!(node.get(dir) instanceof Map)) node.set(dir, new Map());
        node = node.get(dir) as Map<string, unknown>;
      }
      node.set(parts.at(-1)!, sha);
    }
    const write = (node: Map<string, unknown>): string =>
      store({
        type: 'tree',
        entries: new Map([...node].map(([k, v]) => [k, v instanceof Map ? write(v) : (v as string)])),
      });
    return write(root as Map<string, unknown>);
  };
  const repoJson = (r: Repo): Partial<Schemas['full-repository']> => ({
    name: r.name,
    full_name: `${r.owner}/${r.name}`,
    owner: { login: r.owner } as Schemas['simple-user'],
    private: false,
    archived: r.archived,
    description: r.description,
    html_url: `${base}/${r.owner}/${r.name}`,
    default_branch: 'main',
  });
  const pagesUrl = (r: Repo) => `${base}/pages-site/${r.owner}/${r.name}/`;
  /** The latest build GitHub would show: queued builds are not visible yet. */
  const latestBuild = (r: Repo) => {
    const b = r.pages?.builds.filter((x) => Date.now() >= x.visibleAt).at(-1);
    if (b && b.status === 'building' && Date.now() >= b.readyAt) b.status = b.error ? 'errored' : 'built';
    return b;
  };
  const startBuild = (r: Repo) => {
    const head = r.refs.get('heads/main');
    if (!r.pages || !head) return;
    const first = r.pages.builds.length === 0;
    const error = nextBuildError;
    nextBuildError = undefined;
    // One build at a time per site, as on GitHub: a push during a build waits for it (so a site's
    // slow first build delays the build of a commit pushed while it runs).
    const previous = r.pages.builds.at(-1);
    const visibleAt = Math.max(Date.now() + timing.queueMs, previous?.readyAt ?? 0);
    r.pages.builds.push({
      commit: head,
      status: 'building',
      visibleAt,
      readyAt: visibleAt + (first ? timing.firstBuildMs : timing.buildMs),
      error,
    });
  };

  type Handler = (m: {
    params: string[];
    body: Record<string, unknown>;
    repo?: Repo;
    query: URLSearchParams;
  }) => [number, unknown];
  const routes: [string, RegExp, Handler][] = [];
  const route = (method: string, pattern: string, handler: Handler) =>
    routes.push([
      `${method} ${pattern}`,
      new RegExp(`^${pattern.replace(/\{[^}]+\}/g, '([^/]+)')}$`),
      handler,
    ]);
  const notFound = (): [number, unknown] => [
    404,
    { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' },
  ];

  route('GET', '/user', () => [200, { login, id: 1, type: 'User' }]);
  // A renamed or transferred repo answers under its old name with its new identity, as after GitHub's redirect.
  route('GET', '/repos/{owner}/{repo}', ({ repo, params }) => {
    const moved = redirects.get(`${params[0]}/${params[1]}`);
    if (moved) return [200, repoJson(repos.get(moved)!)];
    return repo ? [200, repoJson(repo)] : notFound();
  });
  const createRepo = (owner: string, body: Record<string, unknown>): [number, unknown] => {
    const name = String(body.name);
    if (repos.has(`${owner}/${name}`)) {
      return [
        422,
        {
          message: 'Repository creation failed.',
          errors: [
            {
              resource: 'Repository',
              code: 'custom',
              field: 'name',
              message: 'name already exists on this account',
            },
          ],
        },
      ];
    }
    const r: Repo = {
      owner,
      name,
      description: String(body.description ?? ''),
      archived: false,
      refs: new Map(),
    };
    if (body.auto_init) {
      const readme = store({ type: 'blob', content: Buffer.from(`# ${name}\n`) });
      const tree = buildTree(new Map([['README.md', readme]]));
      r.refs.set('heads/main', store({ type: 'commit', tree, parents: [], message: 'Initial commit' }));
    }
    repos.set(`${owner}/${name}`, r);
    return [201, repoJson(r)];
  };
  route('POST', '/user/repos', ({ body }) => createRepo(login, body));
  route('POST', '/orgs/{org}/repos', ({ params, body }) => createRepo(params[0]!, body));
  route('GET', '/repos/{owner}/{repo}/git/ref/heads/{branch}', ({ repo, params }) => {
    if (!repo) return notFound();
    if (repo.refs.size === 0) return [409, { message: 'Git Repository is empty.' }];
    const sha = repo.refs.get(`heads/${params[2]}`);
    return sha ? [200, { ref: `refs/heads/${params[2]}`, object: { sha, type: 'commit' } }] : notFound();
  });
  route('GET', '/repos/{owner}/{repo}/git/commits/{sha}', ({ repo, params }) => {
    const c = objects.get(params[2]!);
    if (!repo || c?.type !== 'commit') return notFound();
    return [
      200,
      {
        sha: params[2],
        message: c.message,
        tree: { sha: c.tree },
        parents: c.parents.map((sha) => ({ sha })),
      },
    ];
  });
  route('GET', '/repos/{owner}/{repo}/git/trees/{sha}', ({ repo, params }) => {
    if (!repo || objects.get(params[2]!)?.type !== 'tree') return notFound();
    const tree = [...flatten(params[2]!)].map(([path, sha]) => ({ path, sha, type: 'blob', mode: '100644' }));
    return [200, { sha: params[2], tree, truncated: false }];
  });
  route('GET', '/repos/{owner}/{repo}/git/blobs/{sha}', ({ repo, params }) => {
    const b = objects.get(params[2]!);
    if (!repo || b?.type !== 'blob') return notFound();
    return [
      200,
      { sha: params[2], size: b.content.length, encoding: 'base64', content: b.content.toString('base64') },
    ];
  });
  route('POST', '/repos/{owner}/{repo}/git/blobs', ({ repo, body }) => {
    if (!repo) return notFound();
    const content = Buffer.from(String(body.content), body.encoding === 'base64' ? 'base64' : 'utf8');
    return [201, { sha: store({ type: 'blob', content }) }];
  });
  route('POST', '/repos/{owner}/{repo}/git/trees', ({ repo, body }) => {
    if (!repo) return notFound();
    if (repo.refs.size === 0) return [409, { message: 'Git Repository is empty.' }];
    const files = body.base_tree ? flatten(String(body.base_tree)) : new Map<string, string>();
    for (const e of body.tree as { path: string; sha?: string; content?: string }[]) {
      if (e.content !== undefined)
        files.set(e.path, store({ type: 'blob', content: Buffer.from(e.content, 'utf8') }));
      else if (e.sha && objects.get(e.sha)?.type === 'blob') files.set(e.path, e.sha);
      else return [422, { message: `tree.sha ${e.sha} is not a valid blob` }];
    }
    return [201, { sha: buildTree(files) }];
  });
  route('POST', '/repos/{owner}/{repo}/git/commits', ({ repo, body }) => {
    if (!repo) return notFound();
    const sha = store({
      type: 'commit',
      tree: String(body.tree),
      parents: body.parents as string[],
      message: String(body.message),
    });
    return [201, { sha, message: body.message, tree: { sha: body.tree } }];
  });
  route('PATCH', '/repos/{owner}/{repo}/git/refs/heads/{branch}', ({ repo, params, body }) => {
    if (!repo) return notFound();
    const ref = `heads/${params[2]}`;
    const current = repo.refs.get(ref);
    const next = objects.get(String(body.sha));
    if (!current || next?.type !== 'commit') return [422, { message: 'Reference does not exist' }];
    if (!body.force && !next.parents.includes(current))
      return [422, { message: 'Update is not a fast forward' }];
    repo.refs.set(ref, String(body.sha));
    startBuild(repo);
    return [200, { ref: `refs/${ref}`, object: { sha: body.sha, type: 'commit' } }];
  });
  route('POST', '/repos/{owner}/{repo}/git/refs', ({ repo, body }) => {
    if (!repo) return notFound();
    const ref = String(body.ref).replace(/^refs\//, '');
    if (repo.refs.has(ref)) return [422, { message: 'Reference already exists' }];
    repo.refs.set(ref, String(body.sha));
    startBuild(repo);
    return [201, { ref: body.ref, object: { sha: body.sha, type: 'commit' } }];
  });
  route('GET', '/repos/{owner}/{repo}/pages', ({ repo }) =>
    repo?.pages
      ? [
          200,
          {
            url: '',
            status: latestBuild(repo)?.status ?? null,
            html_url: pagesUrl(repo),
            source: { branch: 'main', path: '/' },
          },
        ]
      : notFound(),
  );
  route('POST', '/repos/{owner}/{repo}/pages', ({ repo }) => {
    if (!repo) return notFound();
    if (repo.pages) return [409, { message: 'GitHub Pages is already enabled.' }];
    repo.pages = { builds: [] };
    startBuild(repo);
    return [201, { url: '', status: null, html_url: pagesUrl(repo), source: { branch: 'main', path: '/' } }];
  });
  route('GET', '/repos/{owner}/{repo}/pages/builds/latest', ({ repo }) => {
    const b = repo && latestBuild(repo);
    if (!b) return notFound();
    return [
      200,
      {
        url: '',
        status: b.status,
        error: { message: b.status === 'errored' ? (b.error ?? 'Page build failed.') : null },
        commit: b.commit,
        duration: 0,
        created_at: '',
        updated_at: '',
      },
    ];
  });

  const server = await listenLocal(async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const site = /^\/pages-site\/([^/]+)\/([^/]+)\/(.*)$/.exec(url.pathname);
    if (site) return serveSite(site[1]!, site[2]!, site[3]!, res);
    if (req.headers.authorization !== `token ${token}` && req.headers.authorization !== `Bearer ${token}`) {
      return send(res, 401, { message: 'Bad credentials' });
    }
    const text = await readBody(req);
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    for (const [key, pattern, handler] of routes) {
      if (!key.startsWith(`${req.method} `)) continue;
      // GitHub accepts `heads%2Fmain` for `heads/main`, as Octokit sends it.
      const m = pattern.exec(url.pathname.replace(/%2F/gi, '/'));
      if (!m) continue;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      if (randomFaults.rate > 0 && randomFaults.random() < randomFaults.rate) {
        return send(res, randomFaults.status, { message: 'Server Error (injected at random)' });
      }
      const fault = faults.get(key);
      if (fault) {
        if (--fault.times! <= 0) faults.delete(key);
        if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
        if (fault.status !== undefined)
          return send(res, fault.status, { message: fault.message ?? 'Injected fault' }, fault.headers);
      }
      const params = m.slice(1).map((p) => decodeURIComponent(p));
      const [status, json] = handler({
        params,
        body,
        query: url.searchParams,
        repo: repos.get(`${params[0]}/${params[1]}`),
      });
      return send(res, status, json);
    }
    send(res, 404, { message: 'Not Found' });
  });
  base = server.url;

  function serveSite(owner: string, name: string, file: string, res: http.ServerResponse): void {
    const r = repos.get(`${owner}/${name}`);
    const built = r?.pages?.builds.filter((b) => (latestBuild(r), b.status === 'built')).at(-1);
    const commit = built && objects.get(built.commit);
    const sha = commit?.type === 'commit' ? flatten(commit.tree).get(file || 'index.html') : undefined;
    const blob = sha ? objects.get(sha) : undefined;
    if (blob?.type !== 'blob') return void res.writeHead(404).end('Not found');
    res
      .writeHead(200, { 'content-type': file.endsWith('.csv') ? 'text/csv' : 'text/html' })
      .end(blob.content);
  }

  return {
    ...server,
    token,
    login,
    repos,
    calls,
    timing,
    inject: (key, fault) => faults.set(key, { times: 1, ...fault }),
    randomFaults,
    failNextBuild: (message) => (nextBuildError = message),
    redirect: (from, to) => redirects.set(from, to),
    parentOf: (sha) => {
      const c = objects.get(sha);
      return c?.type === 'commit' ? c.parents[0] : undefined;
    },
    commitMessages(owner, name) {
      const out: string[] = [];
      let sha = repos.get(`${owner}/${name}`)?.refs.get('heads/main');
      while (sha) {
        const c = objects.get(sha);
        if (c?.type !== 'commit') break;
        out.push(c.message);
        sha = c.parents[0];
      }
      return out;
    },
  };
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    .end(JSON.stringify(body));
}
