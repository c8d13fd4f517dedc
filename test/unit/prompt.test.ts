import { buildMessages } from '../../src/llm/prompt';

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
  expect(system!.content).toMatch(/first\s+`<script>`/i);
  expect(user!.content).toContain('Sum the sales.');
  for (const check of spec.checks) expect(user!.content).toContain(check);
  expect(user!.content).toContain('1,2');
  expect(user!.content).toMatch(/logo\.png \(image\/png, 300 bytes\)[^\n]*\n\(binary/);
  expect(user!.content).not.toContain('This is a revision');
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
  expect(user!.content).toContain('500 data rows in all');
  expect(user!.content).toContain('n,double');
  expect(user!.content).toContain('0,0');
  expect(user!.content).toContain('499,998');
  expect(user!.content).not.toContain('250,500');
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
  expect(user!.content).toContain('This is a revision');
  expect(user!.content).toContain('Changes in round 2');
  expect(user!.content).toContain('<p id="old">old app</p>');
  expect(user!.content).not.toContain('MIT License ...');
  expect(user!.content.match(/### data\.csv/g)).toHaveLength(1);
});
