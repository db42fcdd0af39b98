import { sessionLoginTime } from '../../scripts/local/local-login';

describe("the local stack's login time", () => {
  it('counts a login before the open as made at the open, so its tokens outlive the session it simulates', () => {
    // 02:00 IST on 27 November: Kite would flush a token minted now at 06:00, before the close.
    const night = Date.UTC(2026, 10, 26, 20, 30);
    expect(sessionLoginTime(night)).toBe(Date.UTC(2026, 10, 27, 3, 45));
  });

  it('keeps the real time from the open on', () => {
    const afternoon = Date.UTC(2026, 10, 27, 8, 0);
    expect(sessionLoginTime(afternoon)).toBe(afternoon);
    const evening = Date.UTC(2026, 10, 27, 16, 0);
    expect(sessionLoginTime(evening)).toBe(evening);
  });
});
