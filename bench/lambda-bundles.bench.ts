import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
      const loads: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        const r = spawnSync(
          process.execPath,
          [
            '-e',
            `const t=performance.now();require(${JSON.stringify(outfile)});process.stdout.write(String(performance.now()-t))`,
          ],
          {
            env: { ...process.env, PROCEDURE: 'morning-checklist', STAGE: 'prod' },
            encoding: 'utf8',
          },
        );
        if (r.status !== 0) throw new Error(`${name} failed to load: ${r.stderr}`);
        loads.push(Number(r.stdout));
      }
      const s = summarize(loads);
      console.log(
        `${name.padEnd(16)} bundle ${kb.toFixed(0).padStart(5)} KB [< 1024 KB: ${kb < 1024 ? 'MET' : 'MISSED'}]  module load p50 ${s.p50.toFixed(0)} ms max ${s.max.toFixed(0)} ms (n=${s.n}) [< 150 ms: ${s.p50 < 150 ? 'MET' : 'MISSED'}]`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

void main();
