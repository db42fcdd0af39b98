import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { messageOf } from '../services/common/errors';
import { UPSTOX_PROTO_FILE } from '../services/trading/src/market/upstox-proto';

/** The ECS services: each is bundled into one file that the container runs. */
export const SERVICE_ENTRIES = {
  trading: 'services/trading/src/main.ts',
  dashboard: 'services/dashboard/src/main.ts',
} as const;
export type ServiceName = keyof typeof SERVICE_ENTRIES;

const ROOT = path.join(__dirname, '..');

/**
 * Bundles a service with esbuild into `<outDir>/main.js` (+ source map) and copies the database
 * migrations beside it. The Dockerfiles run this; so does the test that starts the artifact.
 */
export async function buildService(name: ServiceName, outDir: string): Promise<string> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const outfile = path.join(outDir, 'main.js');
  await build({
    entryPoints: [path.join(ROOT, SERVICE_ENTRIES[name])],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    sourcemap: true,
    minify: true,
    keepNames: true,
    // pg's optional native binding is not used.
    external: ['pg-native'],
    logLevel: 'warning',
  });
  await cp(path.join(ROOT, 'services/common/db/migrations'), path.join(outDir, 'migrations'), {
    recursive: true,
  });
  // Upstox's feed schema, from the SDK (services/trading/src/market/upstox-proto.ts looks here).
  if (name === 'trading') {
    const sdk = path.dirname(require.resolve('upstox-js-sdk'));
    await mkdir(path.join(outDir, 'proto'));
    await cp(
      path.join(sdk, 'feeder', 'proto', UPSTOX_PROTO_FILE),
      path.join(outDir, 'proto', UPSTOX_PROTO_FILE),
    );
  }
  // The dashboard serves its page from `public` beside main.js (server.ts: ../public from src).
  if (name === 'dashboard') {
    await cp(path.join(ROOT, 'services/dashboard/public'), path.join(outDir, 'public'), {
      recursive: true,
    });
  }
  return outfile;
}

if (require.main === module) {
  const [name, outDir] = process.argv.slice(2);
  if (!name || !(name in SERVICE_ENTRIES) || !outDir) {
    console.error(`usage: build-services <${Object.keys(SERVICE_ENTRIES).join('|')}> <outDir>`);
    process.exit(2);
  }
  buildService(name as ServiceName, outDir).then(
    (file) => console.log(`built ${file}`),
    (error: unknown) => {
      console.error(messageOf(error));
      process.exit(1);
    },
  );
}
