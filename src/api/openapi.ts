import path from 'node:path';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config';
import { roundStates } from '../shared';
import { taskRequestSchema } from './taskRequest';

/**
 * The API described as OpenAPI 3.1. The task request's schema is generated from the same zod schema
 * that validates requests, so the document cannot drift from what the API accepts.
 */

const errorAnswer = {
  type: 'object',
  required: ['status', 'error'],
  properties: {
    status: { const: 'error' },
    error: { type: 'string', description: 'What is wrong, naming the field.' },
    field: { type: 'string', description: 'The offending field, e.g. `attachments[2].url`.' },
    problems: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      String(code),
      {
        description: errorDescriptions[code] ?? 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );

const errorDescriptions: Record<number, string> = {
  400: 'Invalid request: the answer names the field and the reason.',
  401: 'No secret.',
  403: 'Wrong secret.',
  404: 'Unknown task or route.',
  413: 'Body larger than MAX_BODY_BYTES.',
  429: 'Too many task submissions from this address; see Retry-After.',
  503: 'Temporal is unavailable; nothing was accepted. Send again.',
};

const taskParam = {
  name: 'task',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'The task id from the request.',
};
const emailParam = {
  name: 'email',
  in: 'query',
  required: false,
  schema: { type: 'string' },
  description: 'Required when the service runs with MULTI_TENANT=true.',
};

export function openApiDocument(config: Config): Record<string, unknown> {
  const requestSchema = z.toJSONSchema(taskRequestSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  });
  delete (requestSchema as { $schema?: string }).$schema;
  return {
    openapi: '3.1.0',
    info: {
      title: 'llm-deploy',
      version: '0.1.0',
      description:
        'A durable LLM code-deployment service: tasks in, live static apps out, evaluators called back. ' +
        'Rounds run as Temporal workflows; progress is visible here, as Server-Sent Events, and in the Temporal UI.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: config.publicBaseUrl }],
    paths: {
      '/api/tasks': {
        post: {
          summary: 'Submit a round of a task',
          description:
            'Answers at once; the round then runs durably and the evaluator is called back at `evaluation_url`. ' +
            'Also accepted at `/task` and `/api-endpoint`.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/TaskRequest' } } },
          },
          responses: {
            '200': {
              description: 'Accepted, or a duplicate of a round already received (same nonce).',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } },
            },
            ...errors(400, 401, 403, 413, 429, 503),
          },
        },
        get: {
          summary: 'List recent tasks (Temporal visibility)',
          parameters: [
            { name: 'state', in: 'query', schema: { type: 'string', enum: [...roundStates] } },
            { name: 'email', in: 'query', schema: { type: 'string' } },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            },
          ],
          responses: { '200': { description: 'Tasks, newest first.' }, ...errors(400, 503) },
        },
      },
      '/api/tasks/{task}': {
        get: {
          summary: "A task's rounds: state, steps, URLs, self-check attempts",
          parameters: [taskParam, emailParam],
          responses: {
            '200': {
              description: 'The task and its rounds.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/TaskStatus' } } },
            },
            ...errors(400, 404, 503),
          },
        },
      },
      '/api/tasks/{task}/events': {
        get: {
          summary: "A round's progress as Server-Sent Events",
          description:
            'Sends the current state first, then one `progress` event per change (`step`, `state`, `attempt`, ' +
            '`message`, `progress`, `timestamp`), and ends with a `result` event carrying the finished round.',
          parameters: [
            taskParam,
            emailParam,
            {
              name: 'round',
              in: 'query',
              schema: { type: 'integer' },
              description: 'Defaults to the latest round.',
            },
          ],
          responses: {
            '200': { description: 'An event stream.', content: { 'text/event-stream': {} } },
            ...errors(400, 404, 503),
          },
        },
      },
      '/api/tasks/{task}/screenshots/{sha256}': {
        get: {
          summary: 'A self-check screenshot of one of the task’s attempts',
          parameters: [
            taskParam,
            emailParam,
            {
              name: 'sha256',
              in: 'path',
              required: true,
              schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
            },
          ],
          responses: {
            '200': { description: 'PNG image.', content: { 'image/png': {} } },
            ...errors(400, 404, 503),
          },
        },
      },
      '/health': {
        get: { summary: 'Liveness', responses: { '200': { description: 'The process is up.' } } },
      },
      '/ready': {
        get: {
          summary: 'Readiness, per component',
          description:
            'Temporal reachable, a worker polling the task queue, forge credentials valid, LLM configured.',
          responses: {
            '200': { description: 'Ready.' },
            '503': { description: 'Not ready; `components` says which part and why.' },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'Prometheus text format.', content: { 'text/plain': {} } } },
        },
      },
    },
    components: {
      schemas: {
        TaskRequest: requestSchema,
        Error: errorAnswer,
        Accepted: {
          type: 'object',
          required: ['status', 'task', 'round', 'nonce', 'workflowId', 'statusUrl'],
          properties: {
            status: { enum: ['accepted', 'duplicate'] },
            task: { type: 'string' },
            round: { type: 'integer' },
            nonce: { type: 'string' },
            workflowId: { type: 'string' },
            statusUrl: { type: 'string', format: 'uri' },
            uiUrl: { type: 'string', format: 'uri', description: 'Deep link to the run in the Temporal UI.' },
            state: { enum: [...roundStates], description: 'For a duplicate: the round’s state.' },
          },
        },
        TaskStatus: {
          type: 'object',
          properties: {
            task: { type: 'string' },
            workflowId: { type: 'string' },
            statusUrl: { type: 'string' },
            uiUrl: { type: 'string' },
            running: { type: 'boolean' },
            rounds: { type: 'array', items: { $ref: '#/components/schemas/Round' } },
          },
        },
        Round: {
          type: 'object',
          properties: {
            round: { type: 'integer' },
            nonce: { type: 'string' },
            state: { enum: [...roundStates] },
            step: { type: 'string' },
            attempt: { type: 'integer' },
            repo_url: { type: 'string' },
            commit_sha: { type: 'string' },
            pages_url: { type: 'string' },
            model: { type: 'string' },
            repairs: { type: 'integer' },
            best_attempt: { type: 'integer' },
            repairs_stopped: { type: 'string' },
            check_attempts: { type: 'array', items: { type: 'object' } },
            cut_short: { type: 'string' },
            last_error: { type: 'string' },
          },
        },
      },
    },
  };
}

/** `/openapi.json` and interactive docs at `/docs` (Swagger UI, served from node_modules: no CDN). */
export function apiDocsRouter(config: Config): Router {
  const router = express.Router();
  const document = openApiDocument(config);
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  const assets = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  router.use('/docs/assets', express.static(assets, { index: false }));
  router.get('/docs', (_req, res) => {
    res.type('html').send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>llm-deploy API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });
</script>
</body>
</html>
`);
  });
  return router;
}
