import path from 'node:path';
import { startLocalPostgres } from './scripts/local/postgres';
async function main() {
  const pg = await startLocalPostgres({ dataDir: '/tmp/pg-try-data-' + process.pid, persistent: false });
  console.log('started on', pg.port);
  await pg.createDatabase('x');
  await pg.stop();
  console.log('stopped');
  try {
    await startLocalPostgres({ dataDir: path.join('/tmp/tmp.gm0FbPjMbQls', 'data'), persistent: false });
  } catch (e) { console.log('data dir refused:', (e as Error).message); }
}
main().catch((e) => { console.error('FAILED', e); process.exit(1); });
