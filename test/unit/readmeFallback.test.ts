import { withReadme } from '../../src/llm/readmeFallback';

const spec = { brief: 'Sum the orders.', checks: [] };
const index = { path: 'index.html', content: '<p>hi</p>' };

test('a round 1 answer without README.md gets one with the sections evaluators look for', () => {
  const files = withReadme({
    task: 'orders',
    round: 1,
    spec,
    files: [index],
    notes: '',
    currentReadme: undefined,
  });
  const readme = files.find((f) => f.path === 'README.md')!.content;
  for (const s of [
    '## Summary',
    'Sum the orders.',
    '## Setup',
    '## Usage',
    '## How the code works',
    '`index.html`',
    '## License',
  ])
    expect(readme).toContain(s);
});

test('a later round without README.md appends what changed to the README it has', () => {
  const files = withReadme({
    task: 'orders',
    round: 2,
    spec,
    files: [index],
    notes: 'Added a region filter.',
    currentReadme: '# Orders\n\nOld text.\n',
  });
  expect(files.find((f) => f.path === 'README.md')!.content).toBe(
    '# Orders\n\nOld text.\n\n## Changes in round 2\n\nAdded a region filter.\n',
  );
});

test('a README the model wrote is kept as it is', () => {
  const own = { path: 'README.md', content: '# Mine' };
  expect(
    withReadme({ task: 't', round: 1, spec, files: [index, own], notes: '', currentReadme: undefined }),
  ).toEqual([index, own]);
});
