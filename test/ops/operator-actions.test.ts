import {
  actionsRunBy,
  FUNCTION_OF_ACTION,
  OPERATOR_FUNCTION_NAMES,
  type OperatorAction,
  OperatorActionSchema,
  type OperatorFunctionName,
} from '../../contract/operator-actions';
import { type OperatorEvent, OperatorEventSchema } from '../../contract/operator-events';
import { handleOperatorEvent } from '../../lambdas/shared/operator-events';
import { type ActionTable, runsAction } from '../../services/ops/actions/action-table';
import { ADMIN_ACTIONS } from '../../services/ops/actions/admin-actions';
import { CONTROL_ACTIONS } from '../../services/ops/actions/control-actions';
import { KILL_ACTIONS } from '../../services/ops/actions/kill-actions';
import { resumeActions } from '../../services/ops/actions/resume-actions';
import {
  type OpsDiscovery,
  OpsDiscoverySchema,
  operatorFunction,
} from '../../services/ops/platform/aws/ops-functions';
import type { OpsContext } from '../../services/ops/platform/ports';

/** A valid event of each action: the refusal of another function's action comes after parsing. */
const EVENTS = {
  kill: { action: 'kill', requestedBy: 'oncall', reason: 'drill' },
  halt: { action: 'halt', requestedBy: 'oncall', reason: 'drill' },
  resume: { action: 'resume', requestedBy: 'oncall', reason: 'drill' },
  pause: { action: 'pause', requestedBy: 'oncall', reason: 'drill' },
  unpause: { action: 'unpause', requestedBy: 'oncall', reason: 'drill' },
  flatten: { action: 'flatten', requestedBy: 'oncall', reason: 'drill' },
  'reset-risk-halt': { action: 'reset-risk-halt', requestedBy: 'oncall', reason: 'drill' },
  restart: { action: 'restart', requestedBy: 'oncall', reason: 'drill' },
  scale: { action: 'scale', requestedBy: 'oncall', reason: 'drill', count: 1 },
  rollback: { action: 'rollback', requestedBy: 'oncall', reason: 'drill' },
  restore: { action: 'restore', requestedBy: 'oncall', reason: 'drill', snapshotId: 'snap-1' },
  status: { action: 'status' },
  'audit-verify': { action: 'audit-verify' },
  'calendar-import': {
    action: 'calendar-import',
    requestedBy: 'oncall',
    reason: 'drill',
    source: 'nse-2027.csv',
    entries: [{ date: '2027-01-26', type: 'TRADING_HOLIDAY', description: 'Republic Day' }],
  },
  'token-gate': { action: 'token-gate', broker: 'kite', request: { op: 'state' } },
} satisfies { [A in OperatorAction]: Extract<OperatorEvent, { action: A }> };

const notReady = () => Promise.reject(new Error('not called'));
const TABLES: Array<[OperatorFunctionName, ActionTable<OperatorAction>]> = [
  ['emergencyStop', KILL_ACTIONS as ActionTable<OperatorAction>],
  ['resume', resumeActions(notReady) as ActionTable<OperatorAction>],
  ['control', CONTROL_ACTIONS as ActionTable<OperatorAction>],
  ['admin', ADMIN_ACTIONS as ActionTable<OperatorAction>],
];

describe('the operator-actions table', () => {
  it('names a function for every action an operator event can carry, and no other action', () => {
    // Arrange: typed, so an event action missing from the contract is a compile error here too.
    const eventActions: OperatorAction[] = OperatorEventSchema.options.map(
      (option) => option.shape.action.value,
    );

    // Assert
    expect(Object.keys(FUNCTION_OF_ACTION).sort()).toEqual([...eventActions].sort());
    expect([...OperatorActionSchema.options].sort()).toEqual([...eventActions].sort());
  });

  it('names only functions the Ops stack publishes in its discovery parameter', () => {
    const published = Object.keys(OpsDiscoverySchema.shape.functions.shape);

    expect(published).toEqual(expect.arrayContaining([...OPERATOR_FUNCTION_NAMES]));
    expect(new Set(Object.values(FUNCTION_OF_ACTION))).toEqual(new Set(OPERATOR_FUNCTION_NAMES));
  });

  it('sends the CLI and the dashboard to the function the table names for each action', () => {
    // Arrange
    const discovery: OpsDiscovery = {
      region: 'ap-south-1',
      functions: {
        emergencyStop: 'fn-kill',
        resume: 'fn-resume',
        control: 'fn-control',
        admin: 'fn-admin',
      },
      topics: { page: 'page', notify: 'notify' },
      bucket: 'bucket',
      cluster: 'cluster',
    };

    // Act
    const invoked = OperatorActionSchema.options.map((action) =>
      operatorFunction(discovery, 'prod', action),
    );

    // Assert
    expect(invoked).toEqual(
      OperatorActionSchema.options.map((action) => discovery.functions[FUNCTION_OF_ACTION[action]]),
    );
  });
});

describe.each(TABLES)('the %s function', (fn, table) => {
  it('has a runner for exactly the actions the table gives it', () => {
    expect(Object.keys(table).sort()).toEqual([...actionsRunBy(fn)].sort());
    for (const action of actionsRunBy(fn)) expect(runsAction(table, action)).toBe(true);
  });

  it('refuses every action of another function, naming its own', async () => {
    const others = OperatorActionSchema.options.filter((a) => FUNCTION_OF_ACTION[a] !== fn);

    for (const action of others) {
      await expect(handleOperatorEvent(EVENTS[action], {} as OpsContext, table)).rejects.toThrow(
        `this function runs ${Object.keys(table).join(', ')} (got "${action}")`,
      );
    }
  });
});
