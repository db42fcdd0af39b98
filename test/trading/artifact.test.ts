import { mkdtempSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { operatorNames } from '../../contract/names';
import { buildService } from '../../scripts/build-services';
import { freePort } from '../../scripts/local/free-port';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { spawnEntry, waitForHttp } from '../support/processes';

describe('trading service container artifact', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
  });
  afterAll(() => db.close());

  it('bundles into one file that migrates the database and serves /health', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
    const main = await buildService('trading', out);
    const parameterFile = path.join(out, 'parameters.json');
    await new LocalParameterStore(parameterFile).putParameter(
      operatorNames('local').flagParameter,
      'false',
      'test',
    );
    const port = await freePort();

    // Run exactly what the container runs: node main.js, from the bundle's directory.
    const service = spawnEntry(
      main,
      {
        STAGE: 'local',
        DATABASE_URL: db.url,
        LOCAL_PARAMETER_FILE: parameterFile,
        CONTROL_TOKEN: 'artifact-test-token-0123456789',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      port,
      { tsx: false, cwd: out },
    );
    try {
      await waitForHttp(service, '/health');
      const state = await (await fetch(`${service.baseUrl}/state`)).json();

      expect(state).toMatchObject({ mode: 'PAPER', state: 'HALTED' });
      expect(
        (await db.pool.query('SELECT count(*)::int AS n FROM schema_migrations')).rows[0].n,
      ).toBeGreaterThan(0);
      expect((await stat(main)).size).toBeLessThan(10 * 1024 * 1024);
    } finally {
      service.proc.kill('SIGTERM');
      await service.exited();
    }
  }, 60_000);
});
