import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { parseByteSize, parseDuration } from './units';

/**
 * Every setting of the service, parsed once from the environment. `settings` is the single list
 * the README's configuration table and the docker-compose test are checked against.
 */
export interface Setting {
  name: string;
  default: string;
  description: string;
  /** Only read by `npm start` when it runs the embedded Temporal dev server. */
  embeddedOnly?: boolean;
}

export const settings: readonly Setting[] = [
  { name: 'PORT', default: '3000', description: 'HTTP port of the API (and of LocalForge git and Pages).' },
  {
    name: 'PUBLIC_BASE_URL',
    default: 'http://localhost:$PORT',
    description:
      'Base URL under which this API is reachable; used for `statusUrl`, LocalForge `repo_url` and `pages_url`.',
  },
  {
    name: 'DATA_DIR',
    default: './data',
    description:
      'Where everything the service writes lives: blobs, LocalForge repos, the embedded Temporal database.',
  },
  {
    name: 'TEMPORAL_ADDRESS',
    default: '(unset: embedded dev server)',
    description:
      '`host:port` of a Temporal frontend. Unset: `npm start` runs an embedded Temporal dev server.',
  },
  { name: 'TEMPORAL_NAMESPACE', default: 'default', description: 'Temporal namespace for workflows.' },
  { name: 'TEMPORAL_TASK_QUEUE', default: 'llm-deploy', description: 'Task queue the worker polls.' },
  {
    name: 'TEMPORAL_UI_URL',
    default: 'http://localhost:8233 (embedded)',
    description: 'Temporal Web UI base URL, for links in logs and API answers.',
  },
  {
    name: 'TEMPORAL_DEV_PORT',
    default: '7233',
    description: 'gRPC port of the embedded Temporal dev server (only when `TEMPORAL_ADDRESS` is unset).',
    embeddedOnly: true,
  },
  {
    name: 'TEMPORAL_DEV_UI_PORT',
    default: '8233',
    description: 'Web UI port of the embedded Temporal dev server (only when `TEMPORAL_ADDRESS` is unset).',
    embeddedOnly: true,
  },
  {
    name: 'TEMPORAL_CLI_PATH',
    default: '(unset: `.tools/bin/temporal`)',
    description:
      'Temporal CLI binary used for the embedded server; `scripts/install-temporal.sh` installs one when unset.',
    embeddedOnly: true,
  },
  {
    name: 'API_SECRETS',
    default: '(unset)',
    description:
      'Comma-separated secrets accepted in task requests. Unset: any non-empty secret is accepted (local forge only; a warning is logged).',
  },
  {
    name: 'FORGE',
    default: '`github` if `GITHUB_TOKEN` is set, else `local`',
    description:
      'Where apps are published: `github` (GitHub + Pages) or `local` (git repos and Pages served by this API).',
  },
  {
    name: 'GITHUB_TOKEN',
    default: '(unset)',
    description: 'GitHub token with `repo` (or `public_repo`) and Pages scope.',
  },
  {
    name: 'GITHUB_OWNER',
    default: "the token's user (`local` for LocalForge)",
    description: 'User or organisation that owns the published repos.',
  },
  { name: 'GITHUB_API_URL', default: 'https://api.github.com', description: 'GitHub REST API base URL.' },
  {
    name: 'OPENAI_API_KEY',
    default: '(unset)',
    description:
      'API key for the OpenAI-compatible provider. With neither it nor `OPENAI_BASE_URL` set, `LLM_MODELS` defaults to `offline`.',
  },
  {
    name: 'OPENAI_BASE_URL',
    default: 'https://api.openai.com/v1',
    description: 'OpenAI-compatible Chat Completions endpoint (OpenAI, OpenRouter, Ollama, vLLM, …).',
  },
  {
    name: 'LLM_MODELS',
    default: '`gpt-4.1-mini`; `offline` when no provider is set',
    description:
      'Comma-separated models, tried in this order. `offline` is the built-in generator that needs no model: an honest scaffold page from the brief and attachments (it cannot repair or judge). It is the default only when neither `OPENAI_API_KEY` nor `OPENAI_BASE_URL` is set, with a warning at start-up.',
  },
  {
    name: 'SELF_CHECK',
    default: 'true',
    description:
      "Load each published page in Chromium and run the task's checks before calling back (and repair what fails).",
  },
  {
    name: 'CHROMIUM_PATH',
    default: '/usr/bin/chromium',
    description: 'Chromium binary for the self-check (Debian: `apt-get install chromium`). Never downloaded.',
  },
  {
    name: 'CHECK_TIMEOUT_SECONDS',
    default: '15',
    description:
      'How long the self-check re-polls a JavaScript check that is not yet true after the page loads.',
  },
  {
    name: 'MAX_REPAIRS',
    default: '2',
    description:
      'Repair attempts per round when checks fail (failing checks go back to the model; each fix is a new commit), while the deadline leaves room. `0` turns repairs off.',
  },
  {
    name: 'ROUND_DEADLINE_SECONDS',
    default: '600',
    description:
      'Seconds from receiving a request until its callback is due; each round reports it as `deadlineAt`.',
  },
  {
    name: 'IDLE_TIMEOUT',
    default: '7d',
    description:
      'How long a task workflow waits for another round before completing (`90s`, `30m`, `7d`, or seconds).',
  },
  {
    name: 'MULTI_TENANT',
    default: 'false',
    description:
      'Several students share this instance: workflow ids and repo names get a short hash of the email, and status lookups need `?email=`.',
  },
  {
    name: 'MAX_BODY_BYTES',
    default: '20mb',
    description: 'Largest accepted task request body (`20mb`, `512kb`, or bytes).',
  },
  {
    name: 'RATE_LIMIT_PER_MINUTE',
    default: '120',
    description:
      'Task submissions accepted per client IP per minute; more get 429 with `Retry-After`. `0` turns the limit off.',
  },
  {
    name: 'WORKER_METRICS_PORT',
    default: '(unset: off)',
    description:
      "Port where the worker's Temporal SDK metrics are served in Prometheus format (`/metrics`). The service's own metrics are on the API's `/metrics`.",
  },
  {
    name: 'WORKER_MAX_ACTIVITIES',
    default: '1000',
    description:
      'Activities one worker runs at once (activity slots). Most of a round waits on the LLM or on Pages, so slots are cheap; self-checks have their own limit.',
  },
  {
    name: 'WORKER_MAX_CACHED_WORKFLOWS',
    default: '1000',
    description:
      'Workflows one worker keeps in memory between steps (the sticky cache); a task evicted from it is replayed from history when it next moves.',
  },
  {
    name: 'SELF_CHECK_CONCURRENCY',
    default: '2',
    description:
      'Self-checks one worker runs at once in its shared Chromium (each is a fresh browser context); more wait their turn.',
  },
  {
    name: 'LOG_LEVEL',
    default: 'info',
    description: 'pino log level: `trace`, `debug`, `info`, `warn`, `error`, `fatal`.',
  },
];

/** The `LLM_MODELS` entry that selects the built-in generator that needs no model. */
export const offlineModel = 'offline';

/** Whether `LLM_MODELS` selects the offline generator (it is never mixed with models). */
export function usesOfflineGenerator(models: readonly string[]): boolean {
  return models.length === 1 && models[0] === offlineModel;
}

/** A provider configured means a real model; none at all means the offline generator (announced at start-up). */
function defaultModels(apiKey: string | undefined, baseUrl: string | undefined): string[] {
  return apiKey || baseUrl ? ['gpt-4.1-mini'] : [offlineModel];
}

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(fallback);

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((u) => u.replace(/\/+$/, ''));

const list = optionalText.transform((v) =>
  v === undefined
    ? []
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
);

const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false', '1', '0', ''], { error: 'must be true or false' })
    .default(fallback)
    .transform((v) => (v === '' ? fallback === 'true' : v === 'true' || v === '1'));

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `"${v}" is not a duration such as 90s, 30m, 7d or a number of seconds`,
        });
        return z.NEVER;
      }
      return ms;
    });

/** A whole number from `min` up to `max` (no upper bound when omitted). */
const count = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be ${min} or more`)
    .max(max, `must be at most ${max}`)
    .default(fallback);

const envSchema = z
  .object({
    PORT: port(3000),
    PUBLIC_BASE_URL: optionalText.pipe(httpUrl.optional()),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    TEMPORAL_ADDRESS: optionalText,
    TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('llm-deploy'),
    TEMPORAL_UI_URL: optionalText.pipe(httpUrl.optional()),
    TEMPORAL_DEV_PORT: port(7233),
    TEMPORAL_DEV_UI_PORT: port(8233),
    TEMPORAL_CLI_PATH: optionalText,
    API_SECRETS: list,
    FORGE: optionalText.pipe(
      z.enum(['github', 'local'], { error: 'must be "github" or "local"' }).optional(),
    ),
    GITHUB_TOKEN: optionalText,
    GITHUB_OWNER: optionalText,
    GITHUB_API_URL: optionalText.pipe(httpUrl.optional()),
    OPENAI_API_KEY: optionalText,
    OPENAI_BASE_URL: optionalText.pipe(httpUrl.optional()),
    LLM_MODELS: list,
    SELF_CHECK: flag('true'),
    CHROMIUM_PATH: z.string().trim().min(1).default('/usr/bin/chromium'),
    CHECK_TIMEOUT_SECONDS: z.coerce
      .number({ error: 'must be a number of seconds' })
      .min(0, 'must be 0 or more')
      .max(300, 'must be at most 300')
      .default(15),
    MAX_REPAIRS: count(2, 0, 10),
    ROUND_DEADLINE_SECONDS: z.coerce
      .number({ error: 'must be a number of seconds' })
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1')
      .default(600),
    IDLE_TIMEOUT: duration('7d'),
    MAX_BODY_BYTES: z
      .string()
      .default('20mb')
      .transform((v, ctx) => {
        const bytes = parseByteSize(v);
        if (bytes === undefined || bytes < 1024) {
          ctx.addIssue({
            code: 'custom',
            message: `"${v}" is not a size of at least 1kb such as 20mb, 512kb or bytes`,
          });
          return z.NEVER;
        }
        return bytes;
      }),
    MULTI_TENANT: flag('false'),
    RATE_LIMIT_PER_MINUTE: count(120, 0),
    WORKER_METRICS_PORT: optionalText.transform((v, ctx) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 65535) {
        ctx.addIssue({ code: 'custom', message: 'must be a port number between 1 and 65535' });
        return z.NEVER;
      }
      return n;
    }),
    WORKER_MAX_ACTIVITIES: count(1000, 1, 100_000),
    WORKER_MAX_CACHED_WORKFLOWS: count(1000, 0, 100_000),
    SELF_CHECK_CONCURRENCY: count(2, 1, 64),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    const forge = env.FORGE ?? (env.GITHUB_TOKEN ? 'github' : 'local');
    if (forge === 'github' && !env.GITHUB_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['GITHUB_TOKEN'], message: 'is required when FORGE=github' });
    }
    if (env.LLM_MODELS.includes(offlineModel) && env.LLM_MODELS.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['LLM_MODELS'],
        message: `cannot mix "${offlineModel}" with models: the offline generator is never a silent fallback`,
      });
    }
    if (forge === 'github' && env.API_SECRETS.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_SECRETS'],
        message: 'is required when publishing to GitHub, so that only your issuers can spend your token',
      });
    }
  });

export type ForgeKind = 'github' | 'local';

export interface Config {
  port: number;
  publicBaseUrl: string;
  dataDir: string;
  temporal: {
    /** Unset when `npm start` should run the embedded dev server. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    uiUrl: string | undefined;
    devPort: number;
    devUiPort: number;
    cliPath: string | undefined;
  };
  apiSecrets: string[];
  forge: ForgeKind;
  github: { token: string | undefined; owner: string | undefined; apiUrl: string };
  llm: { apiKey: string | undefined; baseUrl: string | undefined; models: string[] };
  selfCheck: {
    enabled: boolean;
    chromiumPath: string;
    checkTimeoutMs: number;
    maxRepairs: number;
  };
  roundDeadlineMs: number;
  idleTimeoutMs: number;
  maxBodyBytes: number;
  multiTenant: boolean;
  /** Task submissions per client IP per minute; 0 is no limit. */
  rateLimitPerMinute: number;
  workerMetricsPort: number | undefined;
  /** Worker tuning: activity slots, sticky workflow cache, self-checks at once. */
  worker: { maxActivities: number; maxCachedWorkflows: number; selfCheckConcurrency: number };
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws a ConfigError naming every invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')} ${i.message}`),
    );
  }
  const e = parsed.data;
  const embedded = e.TEMPORAL_ADDRESS === undefined;
  return {
    port: e.PORT,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`,
    dataDir: path.resolve(e.DATA_DIR),
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL ?? (embedded ? `http://localhost:${e.TEMPORAL_DEV_UI_PORT}` : undefined),
      devPort: e.TEMPORAL_DEV_PORT,
      devUiPort: e.TEMPORAL_DEV_UI_PORT,
      cliPath: e.TEMPORAL_CLI_PATH,
    },
    apiSecrets: e.API_SECRETS,
    forge: e.FORGE ?? (e.GITHUB_TOKEN ? 'github' : 'local'),
    github: {
      token: e.GITHUB_TOKEN,
      owner: e.GITHUB_OWNER,
      apiUrl: e.GITHUB_API_URL ?? 'https://api.github.com',
    },
    llm: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      models: e.LLM_MODELS.length ? e.LLM_MODELS : defaultModels(e.OPENAI_API_KEY, e.OPENAI_BASE_URL),
    },
    selfCheck: {
      enabled: e.SELF_CHECK,
      chromiumPath: e.CHROMIUM_PATH,
      checkTimeoutMs: e.CHECK_TIMEOUT_SECONDS * 1000,
      maxRepairs: e.MAX_REPAIRS,
    },
    roundDeadlineMs: e.ROUND_DEADLINE_SECONDS * 1000,
    idleTimeoutMs: e.IDLE_TIMEOUT,
    maxBodyBytes: e.MAX_BODY_BYTES,
    multiTenant: e.MULTI_TENANT,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    workerMetricsPort: e.WORKER_METRICS_PORT,
    worker: {
      maxActivities: e.WORKER_MAX_ACTIVITIES,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      selfCheckConcurrency: e.SELF_CHECK_CONCURRENCY,
    },
    logLevel: e.LOG_LEVEL,
  };
}

/** Reads `.env` from the working directory under the real environment (real variables win), then parses. */
export function loadConfigFromProcess(): Config {
  let fromFile: Record<string, string> = {};
  try {
    fromFile = parseEnv(readFileSync('.env', 'utf8')) as Record<string, string>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return loadConfig({ ...fromFile, ...process.env });
}
