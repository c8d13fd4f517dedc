import { verdictsSchema } from '../../src/checks/judgeChecks';
import { ModelClient } from '../../src/llm/modelClient';
import { userMessage, type ChatMessage } from '../../src/llm/prompt';
import { appAnswer, startFakeLlm, type FakeLlm } from '../fakes/llmServer';

const messages: ChatMessage[] = [{ role: 'user', content: 'build it' }];
const app = appAnswer({ 'index.html': '<p>hi</p>' });
const servers: FakeLlm[] = [];

async function client(
  script: Parameters<typeof startFakeLlm>[0],
  options?: Parameters<typeof startFakeLlm>[1],
  models = ['m1'],
) {
  const llm = await startFakeLlm(script, options);
  servers.push(llm);
  return { llm, model: new ModelClient({ apiKey: 'k-test', baseUrl: `${llm.url}/v1`, models }) };
}

afterAll(() => Promise.all(servers.map((s) => s.close())));

test('streams the answer and reports progress', async () => {
  const { model, llm } = await client(() => app);
  const progress: number[] = [];
  const result = await model.generate(messages, { onProgress: (p) => progress.push(p.chars) });
  expect(result).toEqual({
    model: 'm1',
    app: { files: [{ path: 'index.html', content: '<p>hi</p>' }], notes: 'scripted app' },
  });
  expect(llm.requests[0]).toMatchObject({
    model: 'm1',
    stream: true,
    response_format: { type: 'json_schema', json_schema: { name: 'static_app', strict: true } },
  });
  expect(progress.length).toBeGreaterThan(0);
  expect(progress[progress.length - 1]).toBe(
    JSON.stringify(JSON.parse((app as { content: string }).content)).length,
  );
});

test('a server that ignores stream:true is asked again without streaming', async () => {
  const { model, llm } = await client(() => app, { ignoreStream: true });
  expect((await model.generate(messages)).app.files[0]!.path).toBe('index.html');
  expect(llm.requests.map((r) => r.stream ?? false)).toEqual([true, false]);
});

test('a provider that rejects structured output is asked with JSON mode, then without it', async () => {
  const { model, llm } = await client((req) =>
    req.response_format ? { status: 400, message: "'response_format' is not supported" } : app,
  );
  expect((await model.generate(messages)).model).toBe('m1');
  expect(llm.requests.map((r) => r.response_format?.type)).toEqual(['json_schema', 'json_object', undefined]);
});

test('an unknown model falls back to the next one in LLM_MODELS', async () => {
  const { model } = await client(
    (req) => (req.model === 'gone' ? { status: 404, message: 'model not found' } : app),
    {},
    ['gone', 'm2'],
  );
  expect((await model.generate(messages)).model).toBe('m2');
});

test('no usable model at all is a permanent failure naming LLM_MODELS', async () => {
  const { model } = await client(() => ({ status: 404, message: 'model not found' }), {}, ['a', 'b']);
  await expect(model.generate(messages)).rejects.toMatchObject({
    nonRetryable: true,
    message: expect.stringMatching(/None of LLM_MODELS \(a, b\)/),
  });
});

test('a rate limit is retryable after the time the provider asks for', async () => {
  const { model } = await client(() => ({
    status: 429,
    message: 'slow down',
    headers: { 'retry-after': '7' },
  }));
  await expect(model.generate(messages)).rejects.toMatchObject({ nonRetryable: false, nextRetryDelay: 7000 });
});

test('unusable answers from every model are retryable, with the reasons', async () => {
  const { model, llm } = await client(() => ({ content: 'no code today' }), {}, ['a', 'b']);
  await expect(model.generate(messages)).rejects.toMatchObject({
    nonRetryable: false,
    message: expect.stringMatching(/a: .*b: /),
  });
  expect(llm.requests).toHaveLength(4);
});

test('without a key or base URL it says what to set', async () => {
  const model = new ModelClient({ apiKey: undefined, baseUrl: undefined, models: ['m'] });
  expect(model.configured).toBe(false);
  await expect(model.generate(messages)).rejects.toMatchObject({
    nonRetryable: true,
    message: expect.stringMatching(/OPENAI_API_KEY/),
  });
});

test('a text-only model that refuses image parts is asked again with the same text and no images', async () => {
  const withImage: ChatMessage[] = [
    { role: 'system', content: 'You write apps.' },
    userMessage('Build it; the logo is attached.', [{ type: 'image/png', bytes: Buffer.from('png') }]),
  ];
  const { model, llm } = await client((req) =>
    JSON.stringify(req.messages).includes('image_url')
      ? { status: 400, message: 'Invalid content type. image_url is only supported by certain models.' }
      : app,
  );
  expect((await model.generate(withImage)).model).toBe('m1');
  expect(llm.requests).toHaveLength(2);
  expect(llm.requests[1]!.messages[1]!.content).toBe('Build it; the logo is attached.');
  expect(llm.requests[1]!.response_format?.type).toBe('json_schema');
});

test('questions other than the app (judging) carry their own schema', async () => {
  const { model, llm } = await client(() => ({ content: '{"verdicts":[]}' }));
  const answer = await model.ask(messages, { schema: verdictsSchema });
  expect(answer).toEqual({ text: '{"verdicts":[]}', model: 'm1' });
  expect(llm.requests[0]!.response_format).toMatchObject({
    type: 'json_schema',
    json_schema: { name: 'check_verdicts', strict: true },
  });
});
