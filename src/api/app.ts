import express, { type ErrorRequestHandler, type Request, type Response, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';
import type { BlobStore } from '../blobs/blobStore';
import type { Config } from '../config';
import type { Logger } from '../log';
import { sendError } from './errorAnswer';
import { submitTask } from './tasks';
import { listTasks, taskScreenshot, taskStatus } from './taskStatus';

export interface AppDeps {
  config: Config;
  temporal: Client;
  blobs: BlobStore;
  logger: Logger;
  /** Extra routes mounted at the root, e.g. LocalForge's `/git` and `/pages`. */
  forgeRoutes?: Router;
}

/** Paths issuers post tasks to: ours, and the ones peers' issuers use. */
export const taskSubmissionPaths = ['/api/tasks', '/task', '/api-endpoint'];

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    pinoHttp({
      logger: deps.logger,
      // Headers and bodies stay out of logs: they carry secrets.
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Any content type is read as JSON: issuers forget the header more often than they send other formats.
  const jsonBody = express.json({ limit: deps.config.maxBodyBytes, type: () => true });
  app.post(taskSubmissionPaths, jsonBody, (req: Request, res: Response) => submitTask(deps, req, res));
  app.get('/api/tasks', (req: Request, res: Response) => listTasks(deps, req, res));
  app.get('/api/tasks/:task', (req: Request, res: Response) => taskStatus(deps, req, res));
  app.get('/api/tasks/:task/screenshots/:sha256', (req: Request, res: Response) =>
    taskScreenshot(deps, req, res),
  );

  if (deps.forgeRoutes) app.use(deps.forgeRoutes);

  app.use((req, res) => sendError(res, 404, `No route for ${req.method} ${req.path}`));
  app.use(errorHandler(deps.logger));
  return app;
}

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
