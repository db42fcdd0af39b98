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
      const total = summarize(times(loadScript(outfile, [])));
      // The same load with the SDK clients already in the module cache: what our bundle costs.
      const own = summarize(times(loadScript(outfile, sdk)));
      console.log(
        `${name.padEnd(16)} bundle ${kb.toFixed(0).padStart(5)} KB [< 1024 KB: ${kb < 1024 ? 'MET' : 'MISSED'}]  module load p50 ${total.p50.toFixed(0)} ms max ${total.max.toFixed(0)} ms (n=${total.n}) [< 150 ms: ${total.p50 < 150 ? 'MET' : 'MISSED'}]; of which our bundle p50 ${own.p50.toFixed(0)} ms, ${sdk.length} SDK packages ${(total.p50 - own.p50).toFixed(0)} ms`,
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

/** A script that requires `preload` untimed, then times requiring the bundle. */
function loadScript(outfile: string, preload: readonly string[]): string {
  return `${preload.map((m) => `require(${JSON.stringify(m)});`).join('')}const t=performance.now();require(${JSON.stringify(outfile)});process.stdout.write(String(performance.now()-t))`;
}

/** Milliseconds of `script` in 7 fresh Node processes. */
function times(script: string): number[] {
  const samples: number[] = [];
  for (let i = 0; i < 7; i += 1) {
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
