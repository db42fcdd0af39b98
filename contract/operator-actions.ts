import * as z from 'zod';

/**
 * The operator actions and the ops function that runs each: one table, read by the CLI and the
 * dashboard (which function to invoke), by the functions (which actions they accept) and by the
 * stacks (which functions to make and watch). Data only: it imports nothing but zod.
 */

/** Every action an operator can ask of the ops functions: the `action` of an operator event. */
export const OperatorActionSchema = z.enum([
  'kill',
  'halt',
  'resume',
  'pause',
  'unpause',
  'flatten',
  'reset-risk-halt',
  'restart',
  'scale',
  'rollback',
  'restore',
  'status',
  'audit-verify',
  'calendar-import',
  'token-gate',
]);
export type OperatorAction = z.output<typeof OperatorActionSchema>;

/** The operator functions, by the key the Ops stack publishes each under in its discovery parameter. */
export const OPERATOR_FUNCTION_NAMES = ['emergencyStop', 'resume', 'control', 'admin'] as const;
export type OperatorFunctionName = (typeof OPERATOR_FUNCTION_NAMES)[number];

/** What the stacks need to know of an operator function. */
export interface OperatorFunctionInfo {
  /** Its folder under `lambdas/` and its alarms' slug (`lambda-<slug>-errors`): kebab-case. */
  readonly slug: string;
  /** Its Lambda description, after the stage's prefix. */
  readonly description: string;
}

/** Each operator function's slug and description. */
export const OPERATOR_FUNCTIONS = {
  emergencyStop: { slug: 'emergency-stop', description: 'emergency stop (kill switch)' },
  resume: { slug: 'resume-trading', description: 'resume trading after checks' },
  control: { slug: 'control', description: 'halt, pause, flatten, reset, status, audit' },
  admin: {
    slug: 'admin',
    description: 'restart, scale, rollback, restore, calendar import (audited), token gate',
  },
} as const satisfies Record<OperatorFunctionName, OperatorFunctionInfo>;

/**
 * The function that runs each action. `satisfies` makes an action without a function a type
 * error, and the functions' action tables are keyed by it, so a function without the runner of
 * one of its actions is one too.
 */
export const FUNCTION_OF_ACTION = {
  // The kill alone, so that nothing else shares the warm, minimal emergency-stop function.
  kill: 'emergencyStop',
  // Resume runs the readiness checks: everything they look at.
  resume: 'resume',
  halt: 'control',
  pause: 'control',
  unpause: 'control',
  flatten: 'control',
  'reset-risk-halt': 'control',
  status: 'control',
  'audit-verify': 'control',
  restart: 'admin',
  scale: 'admin',
  rollback: 'admin',
  restore: 'admin',
  // It writes PostgreSQL, inside the VPC: the admin function has the database.
  'calendar-import': 'admin',
  // The broker tokens' cooldown gate is in PostgreSQL: the CLI outside the VPC asks through it.
  'token-gate': 'admin',
} as const satisfies Record<OperatorAction, OperatorFunctionName>;

/** The actions function `F` runs. */
export type ActionOf<F extends OperatorFunctionName> = {
  [A in OperatorAction]: (typeof FUNCTION_OF_ACTION)[A] extends F ? A : never;
}[OperatorAction];

/** The actions `fn` runs, in the order of `OperatorActionSchema`. */
export function actionsRunBy<F extends OperatorFunctionName>(fn: F): ActionOf<F>[] {
  return OperatorActionSchema.options.filter(
    (action): action is ActionOf<F> => FUNCTION_OF_ACTION[action] === fn,
  );
}
