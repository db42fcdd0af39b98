import { loadMigrations, migrate } from '../../services/common/db/migrate';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('migrations', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
  });
  afterAll(() => db.close());

  it('applies every migration to an empty database', async () => {
    // Arrange
    const all = await loadMigrations();

    // Act
    const result = await migrate(db.pool);

    // Assert
    expect(result.applied).toEqual(all.map((m) => m.version));
    const { rows } = await db.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'checklist_results',
        'checklist_runs',
        'control_audit',
        'fills',
        'orders',
        'positions',
        'risk_events',
        'schema_migrations',
        'strategy_leases',
        'trades',
      ]),
    );
  });

  it('is a no-op when applied again', async () => {
    const result = await migrate(db.pool);

    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied.length).toBeGreaterThan(0);
  });
});
