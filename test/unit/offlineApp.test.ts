import { offlineApp, parseDelimited } from '../../src/llm/offlineApp';

const app = offlineApp({
  task: 'orders',
  round: 1,
  spec: { brief: 'Sum the <b>orders</b>.', checks: ['document.title === "Orders"'] },
  attachments: [
    {
      name: 'orders.csv',
      type: 'text/csv',
      bytes: Buffer.from('id,note\n1,"a, quoted ""note"""\n2,<script>x</script>\n'),
    },
    {
      name: 'notes.md',
      type: 'text/markdown',
      bytes: Buffer.from('# Title\n\n<img src=x onerror=alert(1)> [bad](javascript:alert(1)) **bold**\n'),
    },
    { name: 'data.json', type: 'application/json', bytes: Buffer.from('{"a":[1,2]}') },
    { name: 'logo.png', type: 'image/png', bytes: Buffer.alloc(10) },
  ],
});
const html = app.files.find((f) => f.path === 'index.html')!.content;
const readme = app.files.find((f) => f.path === 'README.md')!.content;

test('the scaffold renders the attachments: CSV as a table, Markdown, JSON and images', () => {
  expect(html).toContain('<th>id</th><th>note</th>');
  expect(html).toContain('<td>a, quoted &quot;note&quot;</td>');
  expect(html).toContain('<h1>Title</h1>');
  expect(html).toContain('<strong>bold</strong>');
  expect(html).toContain('&quot;a&quot;: [\n    1,');
  expect(html).toContain('<img src="logo.png" alt="logo.png">');
});

test('nothing from the task can inject markup or script into the scaffold', () => {
  expect(html).not.toContain('<script>');
  expect(html).not.toContain('<b>orders</b>');
  expect(html).not.toMatch(/<img src=x/);
  expect(html).not.toContain('javascript:');
});

test('page and README say plainly that no model made them', () => {
  expect(html).toMatch(/without a language model/);
  expect(readme).toMatch(/without a language model/);
  for (const section of ['## Summary', '## Setup', '## Usage', '## How the code works', '## License'])
    expect(readme).toContain(section);
});

test('CSV parsing follows RFC 4180 quoting and CRLF line ends', () => {
  expect(parseDelimited('a,b\r\n"x,1","y""z"\r\n\r\n', ',')).toEqual([
    ['a', 'b'],
    ['x,1', 'y"z'],
  ]);
});
