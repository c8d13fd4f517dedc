import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, settings } from '../../src/config';
import { devServerDynamicConfig, searchAttributeFlags } from '../../src/temporal/devServer';

/**
 * Docker is not available on our machines, so the compose topology is checked statically against
 * the configuration it must feed: a variable renamed in config.ts and forgotten here fails CI.
 */
const root = path.join(__dirname, '..', '..');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
}

const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const services = compose.services;

/** What compose would pass when the user sets nothing: `${VAR:-default}` becomes `default`. */
function resolvedEnv(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [
      k,
      String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1'),
    ]),
  );
}

function hostPortFor(service: ComposeService, containerPort: number): number | undefined {
  const mapping = service.ports?.find((p) => p.endsWith(`:${containerPort}`));
  return mapping ? Number(mapping.split(':')[0]) : undefined;
}

test('the topology has PostgreSQL, Temporal with schema setup, its UI, the API and workers', () => {
  expect(Object.keys(services).sort()).toEqual([
    'api',
    'postgresql',
    'temporal',
    'temporal-setup',
    'temporal-ui',
    'worker',
  ]);
  expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  expect(services.api!.command).toEqual(['node', 'dist/server.js']);
  expect(services.worker!.command).toEqual(['node', 'dist/worker.js']);
  expect(existsSync(path.join(root, 'src', 'server.ts'))).toBe(true);
  expect(existsSync(path.join(root, 'src', 'worker.ts'))).toBe(true);
});

test.each(['api', 'worker'])('%s gets every setting that applies outside the embedded dev server', (name) => {
  const passed = Object.keys(services[name]!.environment ?? {});
  const expected = settings.filter((s) => !s.embeddedOnly).map((s) => s.name);
  expect(passed.sort()).toEqual(expected.sort());
});

test.each(['api', 'worker'])('%s has a configuration that config.ts accepts', (name) => {
  const config = loadConfig(resolvedEnv(services[name]!));
  expect(config.temporal.address).toBe('temporal:7233');
  expect(config.dataDir).toBe('/data');
});

test('service names and ports agree with the configuration', () => {
  const api = loadConfig(resolvedEnv(services.api!));
  const [temporalHost, temporalPort] = api.temporal.address!.split(':');
  expect(services[temporalHost!]).toBeDefined();
  expect(hostPortFor(services.temporal!, Number(temporalPort))).toBe(Number(temporalPort));
  expect(hostPortFor(services.api!, api.port)).toBe(Number(new URL(api.publicBaseUrl).port));
  expect(hostPortFor(services['temporal-ui']!, 8080)).toBe(Number(new URL(api.temporal.uiUrl!).port));
  expect(services['temporal-ui']!.environment!.TEMPORAL_ADDRESS).toBe(api.temporal.address);
});

test('API and workers share DATA_DIR, where blobs and LocalForge repos live', () => {
  const mount = (s: ComposeService) => s.volumes?.find((v) => v.endsWith(':/data'));
  expect(mount(services.api!)).toBe('data:/data');
  expect(mount(services.worker!)).toBe('data:/data');
  expect(compose.volumes).toHaveProperty('data');
});

test('the search attributes registered by compose are the ones the dev server registers', () => {
  const command = (services['temporal-setup']!.command ?? []).join(' ');
  for (const flag of searchAttributeFlags) expect(command).toContain(flag);
});

test('the compose Temporal server gets the dynamic config the dev server runs with', () => {
  const temporal = services.temporal!;
  const [file, target] = (temporal.volumes ?? [])
    .find((v) => v.includes('dynamicconfig'))!
    .replace(/:ro$/, '')
    .split(':') as [string, string];
  expect(temporal.environment?.DYNAMIC_CONFIG_FILE_PATH).toBe(target);
  const dynamicConfig = parse(readFileSync(path.join(root, file), 'utf8')) as Record<
    string,
    { value: unknown }[]
  >;
  for (const setting of devServerDynamicConfig) {
    const [key, value] = setting.split('=') as [string, string];
    expect(dynamicConfig[key]).toEqual([{ value: JSON.parse(value) }]);
  }
});

test('the Dockerfile builds in stages and ships git for LocalForge and Chromium for the self-check', () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
  expect(dockerfile).toMatch(/npm run build/);
  expect(dockerfile).toMatch(/apt-get install[^\n]*\bgit\b/);
  expect(dockerfile).toMatch(/apt-get install[^\n]*\bchromium\b/);
  expect(dockerfile).toMatch(/CMD \["node", "dist\/server.js"\]/);
});
