import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '../..');

// What `cdk synth -c stage=...` runs: the CLI hands context over in CDK_CONTEXT_JSON.
function runEntry(context: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: root,
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify(context),
      CDK_OUTDIR: mkdtempSync(path.join(os.tmpdir(), 'cdk-entry-')),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('bin/app.ts', () => {
  it('fails on an unknown stage with the list of valid stages', () => {
    const result = runEntry({ stage: 'qa' });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Unknown stage "qa". Valid stages: dev, staging, prod');
  });

  it('fails without a stage', () => {
    const result = runEntry({});

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('No stage given: pass -c stage=<stage>');
  });
});
