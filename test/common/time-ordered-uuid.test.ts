import { timeOrderedUuid } from '../../services/common/time-ordered-uuid';

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID whose first 48 bits are the time, so ids sort in the order they were made', () => {
    const id = timeOrderedUuid(Date.UTC(2026, 10, 26, 10, 0, 0));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(
      Date.UTC(2026, 10, 26, 10, 0, 0),
    );
    const ids = [1, 2, 3].map((ms) => timeOrderedUuid(1_700_000_000_000 + ms));
    expect([...ids].sort()).toEqual(ids);
  });
});
