import type http from 'node:http';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
} from 'openai/resources/chat/completions';
import { listenLocal, readBody, type LocalServer } from './httpServer';

/** What the fake model answers to one request: text content, or an HTTP error like the real API's. */
export type ScriptedAnswer =
  | { content: string; delayMs?: number }
  | { status: number; message: string; headers?: Record<string, string> };

export interface FakeLlm extends LocalServer {
  /** Every chat completion request received, as parsed JSON. */
  requests: ChatCompletionCreateParams[];
  /** Authorization headers received, to check the key is sent (and only there). */
  authorizations: (string | undefined)[];
}

/**
 * An OpenAI-compatible Chat Completions server (the subset the `openai` client uses): streaming
 * answers as server-sent `chat.completion.chunk` events ending in `[DONE]`, plain JSON otherwise,
 * and errors in the API's `{error:{message,type,code}}` shape.
 */
export async function startFakeLlm(
  script: (req: ChatCompletionCreateParams, n: number) => ScriptedAnswer,
  options: { ignoreStream?: boolean } = {},
): Promise<FakeLlm> {
  const requests: ChatCompletionCreateParams[] = [];
  const authorizations: (string | undefined)[] = [];
  const server = await listenLocal(async (req, res) => {
    if (req.method === 'GET' && req.url?.endsWith('/models')) {
      return json(res, 200, {
        object: 'list',
        data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'test' }],
      });
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      return json(res, 404, {
        error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error', code: null },
      });
    }
    const body = JSON.parse(await readBody(req)) as ChatCompletionCreateParams;
    requests.push(body);
    authorizations.push(req.headers.authorization);
    const answer = script(body, requests.length);
    if ('status' in answer) {
      return json(
        res,
        answer.status,
        { error: { message: answer.message, type: 'invalid_request_error', code: null } },
        answer.headers,
      );
    }
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (res.destroyed) return;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream || options.ignoreStream) {
      const completion: ChatCompletion = {
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            finish_reason: 'stop',
            logprobs: null,
            message: { role: 'assistant', content: answer.content, refusal: null },
          },
        ],
      };
      return json(res, 200, completion);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const pieces = answer.content.match(/[\s\S]{1,200}/g) ?? [''];
    const chunk = (
      delta: ChatCompletionChunk.Choice['delta'],
      finish: ChatCompletionChunk.Choice['finish_reason'],
    ) => {
      const c: ChatCompletionChunk = {
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion.chunk',
        created,
        model: body.model,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      };
      res.write(`data: ${JSON.stringify(c)}\n\n`);
    };
    chunk({ role: 'assistant', content: '' }, null);
    for (const piece of pieces) chunk({ content: piece }, null);
    chunk({}, 'stop');
    res.end('data: [DONE]\n\n');
  });
  return { ...server, requests, authorizations };
}

function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A scripted app in the JSON shape the service asks for. */
export function appAnswer(files: Record<string, string>, notes = 'scripted app'): ScriptedAnswer {
  return {
    content: JSON.stringify({
      files: Object.entries(files).map(([path, content]) => ({ path, content })),
      notes,
    }),
  };
}
