import { parseTaskRequest } from '../../src/api/taskRequest';

const valid = {
  email: 'a@example.com',
  secret: 's',
  task: 'sum-of-sales-7f3a2',
  round: 1,
  nonce: 'n-1',
  brief: 'Build it',
  checks: ['document.title === "x"'],
  evaluation_url: 'https://eval.example.com/notify',
  attachments: [{ name: 'data.csv', url: 'data:text/csv;base64,YSxiCjEsMgo=' }],
};

function fields(body: unknown): string[] {
  const r = parseTaskRequest(body);
  return r.ok ? [] : r.problems.map((p) => p.field);
}

test('a protocol request is accepted and normalised', () => {
  const r = parseTaskRequest(valid);
  expect(r.ok).toBe(true);
  if (!r.ok) return;
  expect(r.request).toMatchObject({
    task: 'sum-of-sales-7f3a2',
    round: 1,
    brief: 'Build it',
    evaluationUrl: 'https://eval.example.com/notify',
  });
  expect(r.request.attachments).toEqual([
    { name: 'data.csv', type: 'text/csv', bytes: Buffer.from('a,b\n1,2\n') },
  ]);
});

test('issuers’ variants are understood: brief objects, {js} checks, round as text, missing lists', () => {
  const r = parseTaskRequest({
    ...valid,
    brief: { name: 'Sales', description: 'Sum the sales' },
    checks: [{ js: 'x === 1' }, 'plain check'],
    round: '2',
    attachments: undefined,
  });
  expect(r.ok && r.request).toMatchObject({
    briefTitle: 'Sales',
    brief: 'Sum the sales',
    checks: ['x === 1', 'plain check'],
    round: 2,
    attachments: [],
  });
  const noChecks = parseTaskRequest({ ...valid, checks: undefined });
  expect(noChecks.ok && noChecks.request.checks).toEqual([]);
});

test.each([
  ['email', { email: undefined }],
  ['task', { task: '' }],
  ['task', { task: '../../etc/passwd' }],
  ['task', { task: 'a'.repeat(101) }],
  ['round', { round: 1.5 }],
  ['round', { round: -1 }],
  ['nonce', { nonce: 7 }],
  ['brief', { brief: { name: 'no description' } }],
  ['checks[1]', { checks: ['ok', { notjs: 1 }] }],
  ['evaluation_url', { evaluation_url: 'javascript:alert(1)' }],
  ['evaluation_url', { evaluation_url: 'not a url' }],
  ['attachments[0]', { attachments: ['data:text/plain,x'] }],
  ['attachments[0].url', { attachments: [{ name: 'a.txt', url: 'data:text/plain;base64,!!!!' }] }],
  ['attachments[0].url', { attachments: [{ name: 'a.txt', url: 'file:///etc/passwd' }] }],
  ['attachments[0].name', { attachments: [{ name: '../..', url: 'data:,x' }] }],
  [
    'attachments[1].name',
    {
      attachments: [
        { name: 'a.txt', url: 'data:,x' },
        { name: 'A.TXT', url: 'data:,y' },
      ],
    },
  ],
])('the problem is reported on %s', (field, change) => {
  expect(fields({ ...valid, ...change })).toContain(field);
});

test('attachment names are made safe: no traversal, no absolute paths, no .git', () => {
  const r = parseTaskRequest({
    ...valid,
    attachments: [
      { name: '../../secret.txt', url: 'data:,a' },
      { name: '/abs/path.png', url: 'data:,b' },
      { name: '.git/config', url: 'data:,c' },
      { name: 'sub\\dir\\x.json', url: 'data:,d' },
    ],
  });
  expect(r.ok && r.request.attachments.map((a) => a.name)).toEqual([
    'secret.txt',
    'abs/path.png',
    'config',
    'sub/dir/x.json',
  ]);
});

test('prototype-pollution keys are ignored, not merged', () => {
  const body = JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(valid).slice(1)}`) as object;
  expect(parseTaskRequest(body).ok).toBe(true);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
