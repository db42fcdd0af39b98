import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { summarize } from './support';

const ROOT = path.join(__dirname, '..');
const ENTRIES = ['emergency-stop', 'resume-trading', 'control', 'admin', 'scheduled'];

/**
 * Each Lambda bundled as the Ops stack bundles it (esbuild, minified, CJS, the SDK clients left to
 * the runtime), then its module load timed in fresh Node processes: the cold start we control.
 * Targets: < 1 MB, < 150 ms.
 */
async function main() {
  // Inside the repository, so that the SDK clients the runtime provides resolve from node_modules.
  const out = mkdtempSync(path.join(ROOT, '.bench-bundles-'));
  try {
    for (const name of ENTRIES) {
      const outfile = path.join(out, name, 'index.js');
      await build({
        entryPoints: [path.join(ROOT, 'lambdas', name, 'handler.ts')],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        minify: true,
        external: ['@aws-sdk/client-*', '@aws-sdk/core', 'pg-native'],
        logLevel: 'error',
      });
      const kb = statSync(outfile).size / 1024;
      const sdk = sdkClients(outfile);
      const init = summarize(times(loadScript(outfile, [])));
      // The SDK packages load on first use, in the invocation: at most all of them.
      const deferred = summarize(times(loadScript(outfile, [], sdk)));
      console.log(
        `${name.padEnd(16)} bundle ${kb.toFixed(0).padStart(5)} KB [< 1024 KB: ${kb < 1024 ? 'MET' : 'MISSED'}]  module load (init) p50 ${init.p50.toFixed(0)} ms max ${init.max.toFixed(0)} ms (n=${init.n}) [< 150 ms: ${init.p50 < 150 ? 'MET' : 'MISSED'}]; loading then all ${sdk.length} SDK packages it may use on first calls: +${(deferred.p50 - init.p50).toFixed(0)} ms`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The runtime-provided SDK packages the bundle requires (left external by the build). */
function sdkClients(outfile: string): string[] {
  const text = readFileSync(outfile, 'utf8');
  return [...new Set(text.match(/@aws-sdk\/(client-[a-z0-9-]+|core)/g) ?? [])].sort();
}

/** A script that requires `preload` untimed, then times requiring the bundle and `after`. */
function loadScript(
  outfile: string,
  preload: readonly string[],
  after: readonly string[] = [],
): string {
  const req = (mods: readonly string[]) =>
    mods.map((m) => `require(${JSON.stringify(m)});`).join('');
  return `${req(preload)}const t=performance.now();require(${JSON.stringify(outfile)});${req(after)}process.stdout.write(String(performance.now()-t))`;
}

/** Milliseconds of `script` in 11 fresh Node processes. */
function times(script: string): number[] {
  const samples: number[] = [];
  for (let i = 0; i < 11; i += 1) {
    const r = spawnSync(process.execPath, ['-e', script], {
      env: {
        ...process.env,
        PROCEDURE: 'morning-checklist',
        STAGE: 'prod',
        NODE_NO_WARNINGS: '1',
      },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`bundle failed to load: ${r.stderr}`);
    samples.push(Number(r.stdout));
  }
  return samples;
}

void main();
