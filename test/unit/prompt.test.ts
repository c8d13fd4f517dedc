import { buildMessages, buildRepairMessages, textOf, withoutImages } from '../../src/llm/prompt';

const spec = {
  brief: 'Sum the sales.',
  checks: ['document.querySelector("#total").textContent === "42"', 'Repo has an MIT LICENSE'],
};

test('round 1 carries the brief, every check verbatim and the attachments', () => {
  const [system, user] = buildMessages({
    task: 'sales',
    round: 1,
    spec,
    attachments: [
      { name: 'data.csv', type: 'text/csv', bytes: Buffer.from('a,b\n1,2\n') },
      { name: 'logo.png', type: 'image/png', bytes: Buffer.alloc(300) },
    ],
    currentFiles: [],
  });
  expect(system!.role).toBe('system');
  expect(textOf(system!)).toMatch(/first\s+`<script>`/i);
  expect(textOf(user!)).toContain('Sum the sales.');
  for (const check of spec.checks) expect(textOf(user!)).toContain(check);
  expect(textOf(user!)).toContain('1,2');
  expect(textOf(user!)).toMatch(/logo\.png \(image\/png, 300 bytes\)[^\n]*\n\(binary/);
  expect(textOf(user!)).not.toContain('This is a revision');
});

test('a long CSV is shown as header, first and last rows, and its row count', () => {
  const rows = Array.from({ length: 500 }, (_, i) => `${i},${i * 2}`);
  const [, user] = buildMessages({
    task: 't',
    round: 1,
    spec,
    attachments: [
      { name: 'big.csv', type: 'text/csv', bytes: Buffer.from(['n,double', ...rows].join('\n')) },
    ],
    currentFiles: [],
  });
  expect(textOf(user!)).toContain('500 data rows in all');
  expect(textOf(user!)).toContain('n,double');
  expect(textOf(user!)).toContain('0,0');
  expect(textOf(user!)).toContain('499,998');
  expect(textOf(user!)).not.toContain('250,500');
});

test('a revision shows the current files but not the LICENSE or the attachments again', () => {
  const [, user] = buildMessages({
    task: 't',
    round: 2,
    spec,
    attachments: [{ name: 'data.csv', type: 'text/csv', bytes: Buffer.from('a\n') }],
    currentFiles: [
      { path: 'index.html', content: Buffer.from('<p id="old">old app</p>') },
      { path: 'LICENSE', content: Buffer.from('MIT License ...') },
      { path: 'data.csv', content: Buffer.from('a\n') },
    ],
  });
  expect(textOf(user!)).toContain('This is a revision');
  expect(textOf(user!)).toContain('Changes in round 2');
  expect(textOf(user!)).toContain('<p id="old">old app</p>');
  expect(textOf(user!)).not.toContain('MIT License ...');
  expect(textOf(user!).match(/### data\.csv/g)).toHaveLength(1);
});

test('image attachments also go to the model as image parts, and can be taken out for text-only models', () => {
  const png = Buffer.from('89504e470d0a1a0a', 'hex');
  const messages = buildMessages({
    task: 't',
    round: 1,
    spec,
    attachments: [
      { name: 'logo.png', type: 'image/png', bytes: png },
      { name: 'huge.png', type: 'image/png', bytes: Buffer.alloc(3_000_000) },
    ],
    currentFiles: [],
  });
  const user = messages[1]!;
  expect(Array.isArray(user.content)).toBe(true);
  const images = (user.content as { type: string; image_url?: { url: string } }[]).filter(
    (p) => p.type === 'image_url',
  );
  expect(images.map((p) => p.image_url!.url)).toEqual([`data:image/png;base64,${png.toString('base64')}`]);
  expect(textOf(user)).toContain('huge.png (image/png, 3000000 bytes)');
  const textOnly = withoutImages(messages);
  expect(typeof textOnly[1]!.content).toBe('string');
  expect(textOnly[1]!.content).toBe(textOf(user));
});

test('an oversized text attachment is cut to the budget, and says so', () => {
  const [, user] = buildMessages({
    task: 't',
    round: 1,
    spec,
    attachments: [{ name: 'big.json', type: 'application/json', bytes: Buffer.from('x'.repeat(200_000)) }],
    currentFiles: [],
  });
  expect(textOf(user!).length).toBeLessThan(30_000);
  expect(textOf(user!)).toContain('truncated; the full file is in the repo');
});

test('a revision lists the earlier rounds’ checks, which evaluators re-run', () => {
  const [, user] = buildMessages({
    task: 't',
    round: 2,
    spec,
    attachments: [],
    currentFiles: [{ path: 'index.html', content: Buffer.from('<p>old</p>') }],
    earlierChecks: [{ round: 1, check: 'document.title === "Orders"' }],
  });
  expect(textOf(user!)).toContain('(round 1) document.title === "Orders"');
});

test('a repair shows the failing checks with their results, the page errors and the current files', () => {
  const messages = buildRepairMessages({
    task: 't',
    round: 1,
    spec,
    attachments: [],
    currentFiles: [{ path: 'index.html', content: Buffer.from('<p id="totl">42</p>') }],
    pagesUrl: 'http://pages.test/t/',
    attempt: {
      attempt: 0,
      commitSha: 'abc',
      passed: 1,
      total: 2,
      results: [
        {
          check: spec.checks[0]!,
          kind: 'js',
          outcome: 'error',
          detail: "Cannot read properties of null (reading 'textContent')",
          fromRound: 1,
        },
        { check: spec.checks[1]!, kind: 'text', outcome: 'pass', fromRound: 1 },
      ],
      consoleErrors: ['boom in console'],
      pageErrors: ['ReferenceError: x is not defined'],
      failedRequests: [],
    },
  });
  const text = textOf(messages[1]!);
  expect(text).toContain('failed its self-check');
  expect(text).toContain(`JavaScript check (round 1): ${spec.checks[0]}`);
  expect(text).toContain("Result: error (Cannot read properties of null (reading 'textContent'))");
  expect(text).not.toContain(`Plain-language check (round 1): ${spec.checks[1]}`);
  expect(text).toContain('Uncaught error: ReferenceError: x is not defined');
  expect(text).toContain('Console error: boom in console');
  expect(text).toContain('<p id="totl">42</p>');
});
