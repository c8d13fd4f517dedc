import { buildJudgeMessages, judgeTextChecks, parseVerdicts } from '../../src/checks/judgeChecks';
import { textOf } from '../../src/llm/prompt';

const evidence = {
  task: 'orders',
  round: 1,
  brief: 'Sum the orders.',
  checks: ['README.md is professional', 'Repo has an MIT LICENSE'],
  files: [
    { path: 'README.md', content: Buffer.from('# Orders\n\nA tidy README.') },
    { path: 'LICENSE', content: Buffer.from('MIT License\n\nCopyright (c) 2026 someone\n\nmore') },
  ],
  pageText: 'Total: 55.50',
  screenshot: Buffer.from('png'),
};

test('the judge sees the README, the LICENSE head, the page text and the screenshot', () => {
  const [message] = buildJudgeMessages(evidence);
  const text = textOf(message!);
  expect(text).toContain('1. README.md is professional');
  expect(text).toContain('A tidy README.');
  expect(text).toContain('MIT License');
  expect(text).not.toContain('more');
  expect(text).toContain('Total: 55.50');
  expect(JSON.stringify(message!.content)).toContain('data:image/png;base64,');
});

test('verdicts are read by number; a missing one stays undefined; garbage is an error', () => {
  expect(parseVerdicts('```json\n{"verdicts":[{"check":2,"pass":false,"reason":"no"}]}\n```', 2)).toEqual([
    undefined,
    { pass: false, reason: 'no' },
  ]);
  expect(() => parseVerdicts('I think it is fine', 1)).toThrow(/verdicts/);
});

test('without a model, or when judging fails, checks stay not_run and say why', async () => {
  const checks = [{ outcome: 'not_run' as string, detail: undefined as string | undefined }];
  await judgeTextChecks(checks, {
    model: { configured: false, ask: () => Promise.reject(new Error('unused')) },
    evidence,
  });
  expect(checks[0]).toEqual({ outcome: 'not_run', detail: expect.stringMatching(/no model is configured/) });
  await judgeTextChecks(checks, {
    model: { configured: true, ask: () => Promise.reject(new Error('provider down')) },
    evidence,
  });
  expect(checks[0]!.detail).toBe('not judged: provider down');
  await judgeTextChecks(checks, {
    model: {
      configured: true,
      ask: async () => ({ model: 'm', text: '{"verdicts":[{"check":1,"pass":true,"reason":"clear"}]}' }),
    },
    evidence,
  });
  expect(checks[0]).toEqual({ outcome: 'pass', detail: 'judged by m: clear' });
});
