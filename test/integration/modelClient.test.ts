import { ModelClient } from '../../src/llm/modelClient';
import { appAnswer, startFakeLlm, type FakeLlm } from '../fakes/llmServer';

const messages = [{ role: 'user' as const, content: 'build it' }];
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
    response_format: { type: 'json_object' },
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

test('a provider that rejects JSON mode is asked again without it', async () => {
  const { model, llm } = await client((req) =>
    req.response_format ? { status: 400, message: "'response_format' is not supported" } : app,
  );
  expect((await model.generate(messages)).model).toBe('m1');
  expect(llm.requests.map((r) => r.response_format?.type)).toEqual(['json_object', undefined]);
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
