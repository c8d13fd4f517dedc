import { clip } from '../clip';
import type { SubmissionReport } from './checkSubmission';

/** The check results as a terminal table, and as JUnit XML for CI dashboards. */

export function table(reports: SubmissionReport[]): string {
  const rows = reports.flatMap((r) =>
    r.items.map((i) => [
      `${r.task} r${r.round}`,
      mark(i.outcome),
      clip(i.name, 70),
      clip(i.detail ?? '', 60),
    ]),
  );
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => row[c]!.length), 4));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const passed = reports.flatMap((r) => r.items).filter((i) => i.outcome === 'pass').length;
  const failed = reports.flatMap((r) => r.items).filter((i) => i.outcome === 'fail').length;
  return [
    line(['task', ' ', 'check', 'detail']),
    ...rows.map(line),
    '',
    `${passed} passed, ${failed} failed`,
  ].join('\n');
}

export function junitXml(reports: SubmissionReport[]): string {
  const suites = reports.map((r) => {
    const failures = r.items.filter((i) => i.outcome === 'fail').length;
    const skipped = r.items.filter((i) => i.outcome === 'skipped').length;
    const cases = r.items
      .map((i) => {
        const open = `    <testcase classname="${xml(`${r.task}.round${r.round}`)}" name="${xml(i.name)}">`;
        const body =
          i.outcome === 'fail'
            ? `\n      <failure message="${xml(i.detail ?? 'failed')}"/>\n    `
            : i.outcome === 'skipped'
              ? `\n      <skipped message="${xml(i.detail ?? '')}"/>\n    `
              : '';
        return `${open}${body}</testcase>`;
      })
      .join('\n');
    return `  <testsuite name="${xml(`${r.task} round ${r.round} @${r.commit_sha.slice(0, 7)}`)}" tests="${r.items.length}" failures="${failures}" skipped="${skipped}">\n${cases}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}\n</testsuites>\n`;
}

const mark = (outcome: string) => (outcome === 'pass' ? '✓' : outcome === 'fail' ? '✗' : '-');
const xml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
