import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { operatorNames } from '../../contract/names';
import { freePort } from '../../scripts/local/free-port';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import { createTestDatabase, type TestDatabase } from './database';
import { type ServiceProcess, spawnEntry, waitForHttp } from './processes';

/** The control token the fault tests' trading tasks are started with. */
export const FAULT_TEST_CONTROL_TOKEN = 'fault-test-control-token';

/** Trading tasks of a test, on its database; `start` answers once the task serves `/health`. */
export interface TradingTasks {
  readonly db: TestDatabase;
  start(taskId: string, env?: Record<string, string>): Promise<ServiceProcess>;
}

/**
 * Local-stage trading tasks (`services/trading/src/main.ts` as its own process, simulated session
 * clock) for each test: a fresh database and a flag of "true" before it, every task still running
 * killed (SIGKILL) after it.
 */
export function tradingTasksEach(): TradingTasks {
  let db: TestDatabase;
  let parameterFile: string;
  const running: ServiceProcess[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
    parameterFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'flag-')), 'parameters.json');
    await new LocalParameterStore(parameterFile).putParameter(
      operatorNames('local').flagParameter,
      'true',
      'test',
    );
  });

  afterEach(async () => {
    for (const p of running.splice(0)) {
      if (p.proc.exitCode === null && p.proc.signalCode === null) {
        p.proc.kill('SIGKILL');
        await p.exited();
      }
    }
    await db.close();
  });

  return {
    get db() {
      return db;
    },
    async start(taskId, env = {}) {
      const port = await freePort();
      const service = spawnEntry(
        'services/trading/src/main.ts',
        {
          STAGE: 'local',
          TASK_ID: taskId,
          PORT: String(port),
          HOST: '127.0.0.1',
          DATABASE_URL: db.url,
          LOCAL_PARAMETER_FILE: parameterFile,
          JOURNAL_DIR: mkdtempSync(path.join(os.tmpdir(), 'journal-')),
          CONTROL_TOKEN: FAULT_TEST_CONTROL_TOKEN,
          SESSION_CLOCK: 'simulated',
          LOG_LEVEL: 'warn',
          ...env,
        },
        port,
      );
      running.push(service);
      await waitForHttp(service, '/health');
      return service;
    },
  };
}
