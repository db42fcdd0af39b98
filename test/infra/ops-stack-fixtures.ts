import { Template } from 'aws-cdk-lib/assertions';
import { buildStage } from './synth';

/** An IAM policy statement as synthesised. */
export interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The ID prefixes of the scheduled procedures' functions. */
export const SCHEDULED = [
  'TokenCheck',
  'MorningChecklist',
  'DeadlineCheck',
  'EveningChecklist',
  'TradeExport',
  'Records',
  'DatabaseBackup',
  'Maintenance',
];

/** The prod stage's ops stack, its template, and finders for its functions and their roles. */
export function synthProdOps() {
  const { stacks } = buildStage({ stage: 'prod', account: '123456789012' });
  const ops = Template.fromStack(stacks.ops);
  const functions = ops.findResources('AWS::Lambda::Function');
  const fn = (prefix: string) => {
    const entry = Object.entries(functions).find(([id]) => id.startsWith(prefix));
    if (!entry) throw new Error(`no function ${prefix}`);
    return entry;
  };
  /** The statements of the role a function runs as. */
  const statementsOf = (prefix: string): Statement[] => {
    const [, resource] = fn(prefix);
    const roleId = resource.Properties.Role['Fn::GetAtt'][0];
    return Object.values(ops.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  };
  const bySid = (prefix: string): Partial<Record<string, Statement>> =>
    Object.fromEntries(statementsOf(prefix).map((s) => [s.Sid, s]));
  return { stacks, ops, fn, statementsOf, bySid };
}
