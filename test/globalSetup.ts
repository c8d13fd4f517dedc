import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Installs (first time) or finds the Temporal CLI once for all suites; they read TEMPORAL_CLI_PATH. */
export default function globalSetup(): void {
  const script = path.join(__dirname, '..', 'scripts', 'install-temporal.sh');
  const cli = execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  if (!cli) throw new Error('scripts/install-temporal.sh printed no path');
  process.env.TEMPORAL_CLI_PATH = cli;
}
