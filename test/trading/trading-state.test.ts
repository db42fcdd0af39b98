import {
  type StateTransition,
  TradingStateMachine,
} from '../../services/trading/src/trading-state';

describe('TradingStateMachine', () => {
  let enabled: boolean;
  let transitions: StateTransition[];
  let machine: TradingStateMachine;
  const control = (reason: string) => ({ by: 'alice', reason, at: 1 });

  beforeEach(() => {
    enabled = false;
    transitions = [];
    machine = new TradingStateMachine(
      {
        enabled: () => enabled,
        snapshot: () => ({ reason: enabled ? 'flag is "true"' : 'flag is "false"' }),
      },
      (t) => transitions.push(t),
      () => 42,
    );
  });

  it('starts HALTED', () => {
    expect(machine.state()).toBe('HALTED');
  });

  it('goes ACTIVE when the flag allows, and reports the transition once', () => {
    enabled = true;

    machine.update();
    machine.update();

    expect(transitions).toEqual([
      { from: 'HALTED', to: 'ACTIVE', cause: 'flag is "true", not paused, no risk halt', at: 42 },
    ]);
  });

  it('goes PAUSED on pause and back to ACTIVE on unpause', () => {
    enabled = true;
    machine.update();

    machine.setPaused(control('lunch'));
    machine.setPaused(undefined);

    expect(transitions.map((t) => [t.from, t.to, t.cause])).toEqual([
      ['HALTED', 'ACTIVE', expect.any(String)],
      ['ACTIVE', 'PAUSED', 'paused by alice: lunch'],
      ['PAUSED', 'ACTIVE', expect.any(String)],
    ]);
  });

  it('prefers HALTED over PAUSED, and HARD_HALT over both', () => {
    enabled = true;
    machine.setPaused(control('p'));

    enabled = false;
    expect(machine.state()).toBe('HALTED');
    machine.setRiskHalt(control('DAILY_LOSS_STOP'));
    expect(machine.state()).toBe('HARD_HALT');
  });

  it('leaves HARD_HALT only when the risk halt is cleared, whatever the flag says', () => {
    enabled = true;
    machine.setRiskHalt(control('DAILY_LOSS_STOP'));
    enabled = true;
    machine.update();
    expect(machine.state()).toBe('HARD_HALT');

    machine.setRiskHalt(undefined);

    expect(machine.state()).toBe('ACTIVE');
    expect(transitions.at(-1)).toMatchObject({ from: 'HARD_HALT', to: 'ACTIVE' });
  });

  it('is HALTED while shutting down, even with the flag on', () => {
    enabled = true;
    machine.update();

    machine.beginShutdown('SIGTERM received');

    expect(transitions.at(-1)).toMatchObject({
      from: 'ACTIVE',
      to: 'HALTED',
      cause: 'shutting down: SIGTERM received',
    });
  });
});
