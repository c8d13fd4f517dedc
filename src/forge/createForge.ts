import path from 'node:path';
import type { Config } from '../config';
import type { Forge } from './forge';
import { GitHubForge } from './githubForge';
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
  return new GitHubForge({
    token: config.github.token!,
    apiUrl: config.github.apiUrl,
    owner: config.github.owner,
  });
}
