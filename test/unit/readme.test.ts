import { readFileSync } from 'node:fs';
import path from 'node:path';
import { settings } from '../../src/config';

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
/** The configuration table's rows as trimmed cells, whatever the column padding. */
const tableRows = readme
  .split('\n')
  .filter((l) => /^\|\s*`[A-Z_]+`\s*\|/.test(l))
  .map((l) =>
    l
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );

test('the README configuration table lists every setting, once, and nothing else', () => {
  const documented = tableRows.map((cells) => cells[0]!.replace(/`/g, ''));
  expect(documented).toEqual(settings.map((s) => s.name));
});

test.each(settings.map((s) => [s.name, s]))('%s is documented with its default', (_name, setting) => {
  const row = tableRows.find((cells) => cells[0] === `\`${setting.name}\``)!;
  const defaultCell = row[1]!.replace(/`/g, '');
  expect(defaultCell).toBe(setting.default.replace(/`/g, ''));
});

test('the quick start is the two commands', () => {
  expect(readme).toContain('npm install && npm start');
  expect(readme).toMatch(/^npm test\b/m);
});
