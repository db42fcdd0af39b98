import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import type { OpsEnvironmentVariables } from '../contract/lambda-environment';
import { DEFAULT_SCHEDULES } from '../contract/stage';
import { mark, type Summary, summarize } from './support';

const ROOT = path.join(__dirname, '..');
const BARE = 'bare';
const ENTRIES: Record<string, string> = {
  [BARE]: 'bench/support/bare-handler.ts',
  'emergency-stop': 'lambdas/emergency-stop/handler.ts',
  'resume-trading': 'lambdas/resume-trading/handler.ts',
  control: 'lambdas/control/handler.ts',
  admin: 'lambdas/admin/handler.ts',
  scheduled: 'lambdas/scheduled/handler.ts',
};
const SAMPLES = 11;
const COLD_INVOKES = 9;
/**
 * Earlier code to compare the emergency stop with, built in the same run (`BENCH_BASELINE=<rev>`):
 * only when asked, as an old revision may need packages this checkout no longer installs.
 */
const BASELINE = process.env.BENCH_BASELINE;
/** What the Ops stack externalizes (lib/constructs/ops-function.ts). */
const EXTERNAL = ['@aws-sdk/client-*', '@aws-sdk/core', 'pg-native'];
/** The handler's lazily required second file, bundled beside it (lib/constructs/ops-function.ts). */
const DEFERRED = './deferred';

/** Everything the ops functions' environment schema asks for; the secrets are served by the local AWS endpoint. */
const OPS_ENV: OpsEnvironmentVariables = {
  STAGE: 'prod',
  DATA_BUCKET: 'algo-trading-prod-data-123456789012',
  RECORDS_BUCKET: 'algo-trading-prod-records-123456789012',
  PAGE_TOPIC_ARN: 'arn:aws:sns:ap-south-1:123456789012:algo-trading-prod-page',
  NOTIFY_TOPIC_ARN: 'arn:aws:sns:ap-south-1:123456789012:algo-trading-prod-notify',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:ap-south-1:123456789012:secret:db',
  DB_HOST: '127.0.0.1',
  DB_PORT: '1',
  DB_NAME: 'algotrading',
  CONTROL_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:ap-south-1:123456789012:secret:token',
  TWO_PERSON_RESUME: 'false',
  READINESS_GATE: 'false',
  MODE: 'PAPER',
  REGISTERED_EGRESS_IPS: '',
  EGRESS_IPS: '13.232.1.1,13.232.1.2',
  BROKER_TOKENS: 'PRIMARY',
  BROKER: 'paper',
  BROKER_TOKEN_SET: 'null',
  SNAPSHOT_RETENTION_DAYS: '7',
  SCHEDULES: JSON.stringify(DEFAULT_SCHEDULES),
};

/**
 * Each Lambda bundled as the Ops stack bundles it (esbuild, minified, CJS, the SDK clients left to
 * the runtime), beside a bare handler bundled the same way (Powertools logger + middy, no
 * procedure): bundle size and module load (init, in fresh Node processes) as a ratio to the bare
 * one, measured in the same run so that the machine's load cancels out. Then the emergency stop
 * from a cold start to its first AWS request, against a local HTTP server standing in for AWS (AWS_ENDPOINT_URL).
 * Targets: every bundle < 1 MB and init < 150 ms; the emergency stop < 500 KB and init <= 1.5x
 * the bare handler's.
 */
async function main() {
  // Inside the repository, so that the SDK clients the runtime provides resolve from node_modules.
  const out = mkdtempSync(path.join(ROOT, '.bench-bundles-'));
  try {
    const bundles: Record<string, string> = {};
    for (const [name, entry] of Object.entries(ENTRIES))
      bundles[name] = await bundle(ROOT, entry, path.join(out, name));
    // The previous code, from git, built the same way (it has no second file).
    const baseline = BASELINE && (await bundleBaseline(BASELINE, out));
    if (BASELINE && baseline) bundles[`es@${BASELINE}`] = baseline;
    // Interleaved rounds: a burst of load on the machine hits every bundle alike.
    const samples: Record<string, number[]> = Object.fromEntries(
      Object.keys(bundles).map((name) => [name, []]),
    );
    for (let round = 0; round < SAMPLES; round += 1) {
      for (const [name, file] of Object.entries(bundles))
        samples[name]?.push(time(loadScript(file)));
    }
    const bareFile = bundles[BARE] ?? '';
    const bareKb = assetKb(bareFile);
    const bareInit = summarize(samples[BARE] ?? []);
    for (const [name, file] of Object.entries(bundles)) {
      const kb = assetKb(file);
      const init = summarize(samples[name] ?? []);
      const ratio = init.p50 / bareInit.p50;
      let line = `${name.padEnd(15)} bundle ${kb.toFixed(0).padStart(4)} KB (${(kb / bareKb).toFixed(1).padStart(4)}x bare)  init p50 ${init.p50.toFixed(1).padStart(5)} ms max ${init.max.toFixed(0).padStart(3)} ms (${ratio.toFixed(2)}x bare, n=${init.n})`;
      if (name === 'emergency-stop' || name.startsWith('es@')) {
        line += `  [bundle < 500 KB: ${mark(kb < 500)}] [init <= 1.5x bare: ${mark(ratio <= 1.5)}]`;
      } else if (name !== BARE) {
        line += `  [< 1024 KB: ${mark(kb < 1024)}] [< 150 ms: ${mark(init.p50 < 150)}]`;
      }
      const sdk = sdkClients(file);
      if (sdk.length) {
        // The SDK packages load on first use, in the invocation: at most all of them.
        const later = summarize(repeat(() => time(loadScript(file, sdk)), 5));
        line += `; then all ${sdk.length} SDK packages it may use: +${(later.p50 - init.p50).toFixed(0)} ms`;
      }
      console.log(line);
    }
    const cold = await coldInvokes([
      ['emergency-stop', bundles['emergency-stop'] ?? ''],
      ...(BASELINE && baseline ? [[`es@${BASELINE}`, baseline] as const] : []),
    ]);
    for (const [name, c] of Object.entries(cold))
      console.log(
        `${name} cold invoke -> first AWS request: p50 ${c.total.p50.toFixed(0)} ms max ${c.total.max.toFixed(0)} ms (init p50 ${c.init.p50.toFixed(0)} ms + invoke to request p50 ${c.invoke.p50.toFixed(0)} ms, n=${c.total.n})`,
      );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * `entry` bundled under `root` as the Ops stack bundles it into `dir`: index.js, and beside it
 * deferred.js when the handler has one (its lazily required second file). Returns index.js.
 */
async function bundle(root: string, entry: string, dir: string): Promise<string> {
  const deferred = path.join(root, path.dirname(entry), 'deferred.ts');
  await build({
    entryPoints: {
      index: path.join(root, entry),
      ...(existsSync(deferred) ? { deferred } : {}),
    },
    outdir: dir,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    external: [...EXTERNAL, DEFERRED],
    logLevel: 'error',
  });
  return path.join(dir, 'index.js');
}

/** The emergency stop of revision `rev`, from git, bundled as `bundle` does. */
async function bundleBaseline(rev: string, out: string): Promise<string> {
  const baselineSrc = path.join(out, 'baseline-src');
  mkdirSync(baselineSrc);
  // contract/ exists from issue 11 on; an older baseline has none.
  const folders = ['contract', 'lambdas', 'services', 'lib'].filter(
    (folder) =>
      spawnSync('git', ['cat-file', '-e', `${rev}:${folder}`], { cwd: ROOT }).status === 0,
  );
  const archive = spawnSync('git', ['archive', rev, ...folders], {
    cwd: ROOT,
    maxBuffer: 1 << 30,
  });
  if (archive.status !== 0) throw new Error(`git archive ${rev}: ${archive.stderr}`);
  spawnSync('tar', ['-x', '-C', baselineSrc], { input: archive.stdout });
  const baseline = await bundle(
    baselineSrc,
    ENTRIES['emergency-stop'] ?? '',
    path.join(out, 'baseline-emergency-stop'),
  );
  return baseline;
}

/** The files of the asset whose handler is `indexFile`. */
function assetFiles(indexFile: string): string[] {
  const dir = path.dirname(indexFile);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join(dir, f));
}

/** The size of the whole asset (the handler and its second file), in KB. */
function assetKb(indexFile: string): number {
  return assetFiles(indexFile).reduce((kb, f) => kb + statSync(f).size / 1024, 0);
}

/** The runtime-provided SDK packages the asset requires (left external by the build). */
function sdkClients(outfile: string): string[] {
  const text = assetFiles(outfile)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  return [...new Set(text.match(/@aws-sdk\/(client-[a-z0-9-]+|core)/g) ?? [])].sort();
}

/** A script that times requiring the bundle and then `after`, and prints the milliseconds. */
function loadScript(outfile: string, after: readonly string[] = []): string {
  const req = after.map((m) => `require(${JSON.stringify(m)});`).join('');
  return `const t=performance.now();require(${JSON.stringify(outfile)});${req}process.stdout.write(String(performance.now()-t))`;
}

function repeat(fn: () => number, n: number): number[] {
  return Array.from({ length: n }, fn);
}

/** Milliseconds of `script` in a fresh Node process. */
function time(script: string): number {
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, PROCEDURE: 'morning-checklist', STAGE: 'prod', NODE_NO_WARNINGS: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bundle failed to load: ${r.stderr}`);
  return Number(r.stdout);
}

/** An operator kill, invoked on a fresh process: the child prints when it started and loaded. */
function invokeScript(outfile: string): string {
  const event = { action: 'kill', requestedBy: 'bench', reason: 'cold start bench' };
  const context = {
    functionName: 'emergency-stop',
    functionVersion: '1',
    invokedFunctionArn: 'arn:aws:lambda:ap-south-1:123456789012:function:emergency-stop:live',
    memoryLimitInMB: '512',
    awsRequestId: 'bench',
    logGroupName: 'bench',
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true,
  };
  return [
    'const now=()=>performance.timeOrigin+performance.now();',
    'const t0=now();',
    `const {handler}=require(${JSON.stringify(outfile)});`,
    'const t1=now();',
    "process.stderr.write('BENCH '+t0+' '+t1+'\\n');",
    `handler(${JSON.stringify(event)},{...${JSON.stringify(context)},getRemainingTimeInMillis:()=>600000}).catch(()=>{});`,
  ].join('');
}

/** One cold start's times: invoke -> first request, and its parts (init, then the invocation). */
interface ColdTimes {
  total: Summary;
  init: Summary;
  invoke: Summary;
}

/**
 * Each emergency stop build started cold, n times in alternation (a burst of load hits them
 * alike), each until a local server standing in for every AWS endpoint receives its first request:
 * the time an alarm-triggered kill spends before it acts.
 */
async function coldInvokes(
  builds: ReadonlyArray<readonly [string, string]>,
): Promise<Record<string, ColdTimes>> {
  let firstRequest: ((at: number) => void) | undefined;
  const awsEndpoint = createServer((req, res) => {
    firstRequest?.(performance.timeOrigin + performance.now());
    firstRequest = undefined;
    req.resume();
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ __type: 'BenchEndpoint', message: 'bench endpoint' }));
  });
  await new Promise<void>((resolve) => awsEndpoint.listen(0, '127.0.0.1', resolve));
  const { port } = awsEndpoint.address() as AddressInfo;
  const runs = builds.map(() => ({
    total: [] as number[],
    init: [] as number[],
    invoke: [] as number[],
  }));
  try {
    for (let i = 0; i < COLD_INVOKES; i += 1) {
      for (const [b, [, outfile]] of builds.entries()) {
        const run = runs[b];
        if (!run) continue;
        const [t0, t1, requestAt] = await coldInvoke(outfile, port, (resolve) => {
          firstRequest = resolve;
        });
        run.total.push(requestAt - t0);
        run.init.push(t1 - t0);
        run.invoke.push(requestAt - t1);
      }
    }
  } finally {
    awsEndpoint.close();
  }
  return Object.fromEntries(
    builds.map(([name], b) => {
      const run = runs[b] ?? { total: [], init: [], invoke: [] };
      return [
        name,
        { total: summarize(run.total), init: summarize(run.init), invoke: summarize(run.invoke) },
      ];
    }),
  );
}

/** One cold start of `outfile`: when it started, when its module had loaded, its first request. */
async function coldInvoke(
  outfile: string,
  port: number,
  onFirstRequest: (resolve: (at: number) => void) => void,
): Promise<[number, number, number]> {
  const child = spawn(process.execPath, ['-e', invokeScript(outfile)], {
    env: {
      ...process.env,
      ...OPS_ENV,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_REGION: 'ap-south-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      NODE_NO_WARNINGS: '1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const requestAt = await new Promise<number>((resolve, reject) => {
    onFirstRequest(resolve);
    child.on('exit', (code) =>
      reject(new Error(`the emergency stop exited (${code}) before any request: ${stderr}`)),
    );
  });
  const closed = new Promise((resolve) => child.on('close', resolve));
  child.kill('SIGKILL');
  // Everything the child wrote is read once its pipes close.
  await closed;
  const [, t0, t1] = (stderr.match(/BENCH (\S+) (\S+)/) ?? []).map(Number);
  if (t0 === undefined || t1 === undefined) throw new Error(`no timing line: ${stderr}`);
  return [t0, t1, requestAt];
}

void main();
