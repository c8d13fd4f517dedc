import path from 'node:path';
import type { Config } from '../config';
import type { Forge } from './forge';
import { LocalForge } from './localForge';

export function localForgeRoot(config: Config): string {
  return path.join(config.dataDir, 'forge');
}

export function createLocalForge(config: Config): LocalForge {
  return new LocalForge({
    root: localForgeRoot(config),
    owner: config.github.owner ?? 'local',
    publicBaseUrl: config.publicBaseUrl,
  });
}

/** The forge the configuration asks for. */
export function createForge(config: Config): Forge {
  if (config.forge === 'local') return createLocalForge(config);
  throw new Error(
    'FORGE=github is not available in this version yet; unset GITHUB_TOKEN or set FORGE=local to publish with LocalForge',
  );
}
