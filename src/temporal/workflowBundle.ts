import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

/**
 * Workflow code for the worker. `npm run build` bundles src/workflows once into
 * dist/workflow-bundle.js, so a worker started from dist (`npm start`, `npm run worker`, the image)
 * skips webpack at start-up: it starts faster and peaks about 120 MB lower. Run from source (tests,
 * tsx) there is no bundle beside this file, and the worker bundles the workflows itself.
 */
export const prebuiltBundlePath = path.join(__dirname, '..', 'workflow-bundle.js');

export function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  return existsSync(prebuiltBundlePath)
    ? { workflowBundle: { codePath: prebuiltBundlePath } }
    : { workflowsPath: require.resolve('../workflows') };
}

async function writeBundle(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  writeFileSync(prebuiltBundlePath, code);
}

if (require.main === module) {
  writeBundle().catch((err: Error) => {
    process.stderr.write(`Could not bundle the workflows: ${err.message}\n`);
    process.exit(1);
  });
}
