import { deliverCallback, refusalsBeforeGivingUp } from '../../src/callback/notifyEvaluator';
import { startFakeEvaluator, type FakeEvaluator } from '../fakes/evaluatorServer';

const payload = {
  email: 'e@example.com',
  task: 't',
  round: 1,
  nonce: 'n',
  repo_url: 'https://example.com/r',
  commit_sha: 'a'.repeat(40),
  pages_url: 'https://example.com/p/',
};
let status = 200;
let evaluator: FakeEvaluator;

beforeAll(async () => {
  evaluator = await startFakeEvaluator(() => status);
});
afterAll(() => evaluator.close());

test('the protocol payload is POSTed as JSON and a 200 is success', async () => {
  status = 200;
  await expect(deliverCallback(`${evaluator.url}/cb`, payload, 1)).resolves.toEqual({ status: 200 });
  expect(evaluator.callbacks.at(-1)!.body).toEqual(payload);
});

test.each([400, 404, 410])(
  'HTTP %i is retried until the fifth attempt, then ends the retries with the reason',
  async (code) => {
    status = code;
    for (let attempt = 1; attempt < refusalsBeforeGivingUp; attempt++) {
      await expect(deliverCallback(`${evaluator.url}/cb`, payload, attempt)).rejects.toMatchObject({
        nonRetryable: false,
      });
    }
    await expect(
      deliverCallback(`${evaluator.url}/cb`, payload, refusalsBeforeGivingUp),
    ).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(new RegExp(`HTTP ${code}.*refused 5 times`)),
    });
  },
);

test('other failures are always retryable, however many attempts', async () => {
  status = 503;
  await expect(deliverCallback(`${evaluator.url}/cb`, payload, 50)).rejects.toMatchObject({
    nonRetryable: false,
  });
  await expect(deliverCallback('http://127.0.0.1:1/cb', payload, 50)).rejects.toMatchObject({
    nonRetryable: false,
    message: expect.stringMatching(/could not be reached/),
  });
});
