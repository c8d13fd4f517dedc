import OpenAI, { APIConnectionError, APIError } from 'openai';
import { permanentFailure, retryableFailure } from '../failures';
import {
  appAnswerSchema,
  InvalidModelOutput,
  parseModelAnswer,
  validateGeneratedApp,
  type GeneratedApp,
} from './modelOutput';
import type {
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { usesOfflineGenerator } from '../config';
import { render, withoutImages, type ChatMessage } from './prompt';

export interface LlmSettings {
  apiKey: string | undefined;
  baseUrl: string | undefined;
  models: string[];
}

export interface GenerationProgress {
  model: string;
  attempt: number;
  chars: number;
}

export interface GenerateOptions {
  onProgress?: (p: GenerationProgress) => void;
  signal?: AbortSignal;
  /** Contents that must never appear in generated files (the service's own credentials). */
  knownSecrets?: readonly string[];
  existingPaths?: readonly string[];
}

export interface Generation {
  app: GeneratedApp;
  model: string;
}

/** A JSON schema for structured output (`response_format: json_schema`, strict). */
export interface AnswerSchema {
  name: string;
  schema: Record<string, unknown>;
}

/** How the answer's shape is requested, from the strictest to none; providers that refuse one get the next. */
type AnswerFormat = 'json_schema' | 'json_object' | 'text';

/** What a model is asked with, narrowed as a provider refuses parts of it (HTTP 400). */
interface RequestShape {
  format: AnswerFormat;
  schema: AnswerSchema | undefined;
  images: boolean;
}

const notConfiguredMessage =
  'No LLM is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for a provider other than OpenAI, ' +
  'e.g. http://localhost:11434/v1 for Ollama), and LLM_MODELS to the models to use';

/** Answers per model: the first, then one more with the validation problem fed back. */
const answersPerModel = 2;
const requestTimeoutMs = 240_000;

/**
 * Generates an app through an OpenAI-compatible Chat Completions endpoint: streams the answer
 * (reporting progress so a slow model can be told from a dead one), validates it, feeds problems
 * back once, then falls back to the next model. The client's own retries are off: Temporal retries.
 */
export class ModelClient {
  private readonly client: OpenAI | undefined;

  constructor(private readonly settings: LlmSettings) {
    this.client =
      !this.offline && (settings.apiKey || settings.baseUrl)
        ? new OpenAI({
            // Local servers (Ollama, vLLM) need no key, but the client insists on one.
            apiKey: settings.apiKey ?? 'not-needed',
            baseURL: settings.baseUrl ?? 'https://api.openai.com/v1',
            maxRetries: 0,
            timeout: requestTimeoutMs,
          })
        : undefined;
  }

  /** A provider to call is configured (false for the offline generator). */
  get configured(): boolean {
    return this.client !== undefined;
  }

  /** `LLM_MODELS=offline`: apps come from the built-in scaffold; nothing is judged or repaired. */
  get offline(): boolean {
    return usesOfflineGenerator(this.settings.models);
  }

  /**
   * One answer (text) from the first model that can give it, for questions other than writing the
   * app (judging checks). Same fallbacks and error mapping as `generate`.
   */
  async ask(
    messages: ChatMessage[],
    opts: Pick<GenerateOptions, 'signal'> & { schema?: AnswerSchema } = {},
  ): Promise<{ text: string; model: string }> {
    if (!this.client) throw permanentFailure(notConfiguredMessage, 'LlmNotConfigured');
    const problems: string[] = [];
    for (const model of this.settings.models) {
      try {
        const text = await this.completeAdapting(
          this.client,
          model,
          messages,
          newShape(messages, opts.schema),
          1,
          opts,
        );
        return { text, model };
      } catch (err) {
        const outcome = classify(err, model);
        if (outcome.kind === 'fail') throw outcome.failure;
        problems.push(outcome.reason);
      }
    }
    throw permanentFailure(
      `None of LLM_MODELS (${this.settings.models.join(', ')}) could be used at the provider: ${problems.join('; ')}`,
      'LlmModelsUnavailable',
    );
  }

  async generate(messages: ChatMessage[], opts: GenerateOptions = {}): Promise<Generation> {
    if (!this.client) throw permanentFailure(notConfiguredMessage, 'LlmNotConfigured');
    const problems: string[] = [];
    let anyAnswered = false;
    for (const model of this.settings.models) {
      const conversation = [...messages];
      const shape = newShape(messages, appAnswerSchema);
      for (let attempt = 1; attempt <= answersPerModel; attempt++) {
        let text: string;
        try {
          text = await this.completeAdapting(this.client, model, conversation, shape, attempt, opts);
        } catch (err) {
          const outcome = classify(err, model);
          if (outcome.kind === 'next-model') {
            problems.push(outcome.reason);
            break;
          }
          throw outcome.failure;
        }
        anyAnswered = true;
        try {
          return { app: validateGeneratedApp(parseModelAnswer(text), opts), model };
        } catch (err) {
          if (!(err instanceof InvalidModelOutput)) throw err;
          problems.push(`${model}: ${err.message}`);
          conversation.push(
            { role: 'assistant', content: text },
            { role: 'user', content: render('invalid-answer.md', { problem: err.message }) },
          );
        }
      }
    }
    if (!anyAnswered) {
      throw permanentFailure(
        `None of LLM_MODELS (${this.settings.models.join(', ')}) could be used at the provider: ${problems.join('; ')}`,
        'LlmModelsUnavailable',
      );
    }
    throw retryableFailure(
      `No model produced a usable app (${problems.join('; ')})`,
      undefined,
      'NoUsableAnswer',
    );
  }

  /**
   * Asks once; when the provider answers 400, asks again without what it may not support: the images
   * when the error names them (text-only models), else a looser answer format (JSON schema, then JSON
   * mode, then none), then the images. `shape` keeps what was learnt for the model's later requests.
   */
  private async completeAdapting(
    client: OpenAI,
    model: string,
    messages: ChatMessage[],
    shape: RequestShape,
    attempt: number,
    opts: GenerateOptions,
  ): Promise<string> {
    for (;;) {
      try {
        return await this.complete(
          client,
          model,
          shape.images ? messages : withoutImages(messages),
          responseFormat(shape),
          attempt,
          opts,
        );
      } catch (err) {
        if (!(err instanceof APIError && err.status === 400)) throw err;
        if (shape.images && /image|vision|multimodal/i.test(err.message)) shape.images = false;
        else if (shape.format === 'json_schema') shape.format = 'json_object';
        else if (shape.format === 'json_object') shape.format = 'text';
        else if (shape.images) shape.images = false;
        else throw err;
      }
    }
  }

  private async complete(
    client: OpenAI,
    model: string,
    chat: ChatMessage[],
    format: ResponseFormat | undefined,
    attempt: number,
    opts: GenerateOptions,
  ): Promise<string> {
    // Our messages use only the shapes the API accepts (text, or text and image parts from the user).
    const messages = chat as ChatCompletionMessageParam[];
    const stream = await client.chat.completions.create(
      {
        model,
        messages,
        stream: true,
        ...(format ? { response_format: format } : {}),
      },
      { signal: opts.signal },
    );
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
      opts.onProgress?.({ model, attempt, chars: text.length });
    }
    if (chunks > 0) return text;
    // Some OpenAI-compatible servers ignore `stream: true` and answer plain JSON, which reads as no chunks.
    const completion = await client.chat.completions.create(
      { model, messages, ...(format ? { response_format: format } : {}) },
      { signal: opts.signal },
    );
    return completion.choices[0]?.message?.content ?? '';
  }
}

type ResponseFormat = NonNullable<ChatCompletionCreateParamsBase['response_format']>;

function newShape(messages: ChatMessage[], schema: AnswerSchema | undefined): RequestShape {
  return {
    format: schema ? 'json_schema' : 'json_object',
    schema,
    images: messages.some((m) => Array.isArray(m.content)),
  };
}

function responseFormat(shape: RequestShape): ResponseFormat | undefined {
  if (shape.format === 'json_schema' && shape.schema)
    return {
      type: 'json_schema',
      json_schema: { name: shape.schema.name, schema: shape.schema.schema, strict: true },
    };
  return shape.format === 'text' ? undefined : { type: 'json_object' };
}

type Classified = { kind: 'next-model'; reason: string } | { kind: 'fail'; failure: Error };

function classify(err: unknown, model: string): Classified {
  if (err instanceof APIConnectionError) {
    return {
      kind: 'fail',
      failure: retryableFailure(
        `Could not reach the LLM provider: ${err.message}`,
        undefined,
        'LlmUnreachable',
      ),
    };
  }
  if (!(err instanceof APIError)) return { kind: 'fail', failure: err as Error };
  const status = err.status ?? 0;
  if (status === 401 || status === 403) {
    return {
      kind: 'fail',
      failure: permanentFailure(
        `The LLM provider refused the credentials (HTTP ${status}): check OPENAI_API_KEY and OPENAI_BASE_URL`,
        'LlmUnauthorized',
      ),
    };
  }
  if (status === 429) {
    const retryAfter = Number(err.headers?.get('retry-after'));
    return {
      kind: 'fail',
      failure: retryableFailure(
        `The LLM provider is rate limiting (${model})`,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
        'LlmRateLimited',
      ),
    };
  }
  if (status === 404 || status === 400 || status === 422) {
    return { kind: 'next-model', reason: `${model}: HTTP ${status} ${err.message}` };
  }
  return {
    kind: 'fail',
    failure: retryableFailure(`The LLM provider failed (${model}, HTTP ${status})`, undefined, 'LlmFailed'),
  };
}
