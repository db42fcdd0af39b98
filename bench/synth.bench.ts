import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STAGES } from '../contract/stage';
import { mark } from './support';

// `cdk synth` of every stack of each stage, with cdk-nag, as DevOps and CI run it. Target < 60 s.
const root = path.join(__dirname, '..');
const cdk = path.join(root, 'node_modules/.bin/cdk');
let allMet = true;
for (const stage of STAGES) {
  const out = mkdtempSync(path.join(os.tmpdir(), `synth-${stage}-`));
  const started = performance.now();
  const result = spawnSync(
    cdk,
    ['synth', '-c', `stage=${stage}`, '--no-notices', '--quiet', '-o', out],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  const seconds = (performance.now() - started) / 1000;
  rmSync(out, { recursive: true, force: true });
  if (result.status !== 0) {
    console.error(result.stderr);
    process.exit(1);
  }
  const met = seconds < 60;
  allMet &&= met;
  console.log(
    `cdk synth -c stage=${stage.padEnd(8)} ${seconds.toFixed(1)} s  [target < 60 s: ${mark(met)}]`,
  );
}
process.exit(allMet ? 0 : 1);
