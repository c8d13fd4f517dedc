import { randomUUID } from 'node:crypto';
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import { rateLimit } from 'express-rate-limit';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';
import type { BlobStore } from '../blobs/blobStore';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Forge } from '../forge/forge';
import { httpRequestDuration, registry } from '../metrics';
import { sendError } from './errorAnswer';
import { apiDocsRouter } from './openapi';
import { taskEvents } from './taskEvents';
import { readinessProbe } from './readiness';
import { submitTask } from './tasks';
import { listTasks, taskScreenshot, taskStatus } from './taskStatus';

export interface AppDeps {
  config: Config;
  temporal: Client;
  blobs: BlobStore;
  logger: Logger;
  /** Where apps are published; `/ready` checks its credentials. */
  forge: Forge;
  /** Extra routes mounted at the root, e.g. LocalForge's `/git` and `/pages`. */
  forgeRoutes?: Router;
  /** The state of a worker running in this process (`npm start`), for `/ready`. */
  localWorker?: () => string;
}

/** Paths issuers post tasks to: ours, and the ones peers' issuers use. */
export const taskSubmissionPaths = ['/api/tasks', '/task', '/api-endpoint'];

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(recordLatency);
  app.use(
    pinoHttp({
      logger: deps.logger,
      // A request id from the caller (or a new one), answered as x-request-id and carried into the workflow.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Headers and bodies stay out of logs: they carry secrets.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', readinessProbe(deps));
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  app.use(apiDocsRouter(deps.config));

  // Any content type is read as JSON: issuers forget the header more often than they send other formats.
  const jsonBody = express.json({ limit: deps.config.maxBodyBytes, type: () => true });
  app.post(
    taskSubmissionPaths,
    submissionLimit(deps.config.rateLimitPerMinute),
    jsonBody,
    (req: Request, res: Response) => submitTask(deps, req, res),
  );
  app.get('/api/tasks', (req: Request, res: Response) => listTasks(deps, req, res));
  app.get('/api/tasks/:task', (req: Request, res: Response) => taskStatus(deps, req, res));
  app.get('/api/tasks/:task/events', taskEvents(deps));
  app.get('/api/tasks/:task/screenshots/:sha256', (req: Request, res: Response) =>
    taskScreenshot(deps, req, res),
  );

  if (deps.forgeRoutes) app.use(deps.forgeRoutes);

  app.use((req, res) => sendError(res, 404, `No route for ${req.method} ${req.path}`));
  app.use(errorHandler(deps.logger));
  return app;
}

/** Per-IP limit on task submissions; `0` turns it off. 429 answers say when to come back. */
function submissionLimit(perMinute: number): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res, _next, options) => {
      res.setHeader('retry-after', String(Math.ceil(options.windowMs / 1000)));
      sendError(
        res,
        429,
        `Too many task submissions from this address (limit ${perMinute} per minute, RATE_LIMIT_PER_MINUTE); retry after the Retry-After seconds`,
      );
    },
  });
}

/** HTTP latency by route pattern (not the raw path, which would give every task its own series). */
const recordLatency: RequestHandler = (req, res, next) => {
  const end = httpRequestDuration.startTimer();
  res.on('finish', () => {
    const route = req.route?.path as string | string[] | undefined;
    end({
      method: req.method,
      route: route === undefined ? 'unmatched' : Array.isArray(route) ? route[0]! : String(route),
      status: String(res.statusCode),
    });
  });
  next();
};

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
}

/** Turns every error into a JSON answer with a reason; stack traces only reach the log. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: BodyParserError & Error, req, res, _next) => {
    const answer = (status: number, error: string) => sendError(res, status, error);
    switch (err.type) {
      case 'entity.too.large':
        return answer(
          413,
          `The request body is larger than the limit of ${err.limit} bytes (MAX_BODY_BYTES)`,
        );
      case 'entity.parse.failed':
        return answer(400, `The request body is not valid JSON: ${err.message}`);
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return answer(415, `The request body's encoding is not supported: ${err.message}`);
      case 'request.aborted':
      case 'request.size.invalid':
        return answer(400, 'The request body was incomplete');
    }
    if (typeof err.status === 'number' && err.status >= 400 && err.status < 500)
      return answer(err.status, err.message);
    logger.error({ err, path: req.path }, 'unhandled error');
    return answer(500, 'Internal error; it has been logged');
  };
}
