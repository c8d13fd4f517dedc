import { spawn } from 'node:child_process';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import { isSafeRelativePath } from '../safePath';
import type { LocalForge } from './localForge';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Serves LocalForge repos the way GitHub would: `GET /git/<owner>/<repo>` is cloneable with
 * `git clone` (smart HTTP, read-only), and `/pages/<owner>/<repo>/` serves `main`'s latest commit
 * as a static site.
 */
export function localForgeRouter(forge: LocalForge, root: string): Router {
  const router = Router();

  router.all(/^\/git\/([^/]+)\/([^/]+?)(?:\.git)?(\/.*)$/, (req: Request, res: Response) => {
    const [owner, name, rest] = [req.params[0], req.params[1], req.params[2]] as [string, string, string];
    if (!namePattern.test(owner) || !namePattern.test(name)) return notFound(res);
    const service = typeof req.query.service === 'string' ? req.query.service : undefined;
    const isUploadPack =
      (req.method === 'GET' && rest === '/info/refs' && service === 'git-upload-pack') ||
      (req.method === 'POST' && rest === '/git-upload-pack');
    if (!isUploadPack) {
      const pushing = rest.endsWith('git-receive-pack') || service === 'git-receive-pack';
      res
        .status(pushing ? 403 : 404)
        .type('text/plain')
        .send(pushing ? 'This repository is read-only.\n' : 'Not found\n');
      return;
    }
    void forge
      .hasRepo(owner, name)
      .then((found) =>
        found ? runHttpBackend(req, res, root, `/${owner}/${name}.git${rest}`) : notFound(res),
      );
  });

  router.get(/^\/pages\/([^/]+)\/([^/]+)(\/.*)?$/, async (req: Request, res: Response) => {
    const [owner, name, rest] = [req.params[0], req.params[1], req.params[2]] as [
      string,
      string,
      string | undefined,
    ];
    if (!namePattern.test(owner) || !namePattern.test(name) || !(await forge.pagesEnabled(owner, name))) {
      return notFound(res);
    }
    if (rest === undefined) return res.redirect(301, `${req.baseUrl}/pages/${owner}/${name}/`);
    let filePath: string;
    try {
      filePath = rest
        .slice(1)
        .split('/')
        .map((s) => decodeURIComponent(s))
        .join('/');
    } catch {
      return notFound(res);
    }
    if (filePath === '' || filePath.endsWith('/')) filePath += 'index.html';
    if (!isSafeRelativePath(filePath)) return notFound(res);
    const body = await forge.readPublishedFile(owner, name, filePath);
    if (body === undefined) {
      const isDirectory =
        (await forge.readPublishedFile(owner, name, `${filePath}/index.html`)) !== undefined;
      if (isDirectory) return res.redirect(301, `${req.baseUrl}/pages/${owner}/${name}${rest}/`);
      return notFound(res);
    }
    res.set({ 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    res.type(path.extname(filePath) || 'application/octet-stream').send(body);
  });

  return router;
}

function notFound(res: Response): void {
  res.status(404).type('text/plain').send('Not found\n');
}

/** Bridges one request to `git http-backend` (CGI): request body in, CGI headers and body out. */
function runHttpBackend(req: Request, res: Response, root: string, pathInfo: string): void {
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: pathInfo,
      REQUEST_METHOD: req.method,
      QUERY_STRING: new URL(req.originalUrl, 'http://x').search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      ...(req.headers['content-encoding']
        ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }
        : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') + 4 : head.indexOf('\n\n') + 2;
    if (end < 2) return;
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') res.status(Number(value.split(' ')[0]) || 500);
      else res.setHeader(key, value);
    }
    headersSent = true;
    res.write(head.subarray(end));
  });
  child.on('close', (code) => {
    if (!headersSent) res.status(code === 0 ? 200 : 503);
    res.end();
  });
  child.on('error', () => {
    if (!res.headersSent) res.status(503).type('text/plain').send('git is not available on this server\n');
  });
}
