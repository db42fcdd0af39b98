import { RiskEventWriter } from '../../services/trading/src/risk/risk-event-writer';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('RiskEventWriter', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.close());

  const event = (rule: string) => ({ kind: 'REJECT' as const, rule, detail: {}, at: Date.now() });

  it('writes on stop the events recorded while a flush was under way', async () => {
    const writer = new RiskEventWriter(db.pool, (error) => {
      throw error;
    });
    writer.record(event('first'));
    const inFlight = writer.flush();
    writer.record(event('during-flush'));

    await writer.stop();
    await inFlight;

    const { rows } = await db.pool.query<{ rule: string }>(
      'SELECT rule FROM risk_events ORDER BY id',
    );
    expect(rows.map((r) => r.rule)).toEqual(['first', 'during-flush']);
  });
});
