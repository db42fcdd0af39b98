import { Pool } from 'pg';
import * as z from 'zod';
import { parseOrThrow } from '../contract/validation';
import { migrate } from '../services/common/db/migrate';
import { messageOf } from '../services/common/errors';

const Env = z.object({ DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }) });

/** `npm run migrate`: applies the repository's migrations to DATABASE_URL. */
async function main(): Promise<void> {
  const env = parseOrThrow(Env, process.env, 'environment');
  // An idle connection that dies is replaced on next use; without a listener it ends the process.
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 1 }).on(
    'error',
    () => undefined,
  );
  try {
    const result = await migrate(pool);
    console.log(
      `applied: ${result.applied.join(', ') || 'none'}; already applied: ${result.alreadyApplied.join(', ') || 'none'}`,
    );
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(messageOf(error));
  process.exit(1);
});
