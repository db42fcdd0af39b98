import { createHash } from 'node:crypto';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct, type IConstruct } from 'constructs';
import { constructId } from '../../config/construct-id';
import { type AlertRoutes, RoutedAlarm, type RoutedAlarmProps } from '../routed-alarm';

/** What every monitoring segment needs: how to name its alarms and where they go. */
export interface MonitoringSegmentProps {
  /** Alarm names are `<alarmNamePrefix>-<slug>` (`algo-trading-<stage>`, the operator contract). */
  readonly alarmNamePrefix: string;
  /** The topics each severity goes to. */
  readonly routes: AlertRoutes;
}

/** One alarm of a segment: a RoutedAlarm named by its slug. */
export type SegmentAlarmSpec = Omit<RoutedAlarmProps, 'alarmName'> & {
  /** `<alarmNamePrefix>-<slug>` is the alarm's name; `constructId(slug)` its construct id. */
  readonly slug: string;
};

/**
 * The alarms and dashboard widgets of one monitored resource (cdk-monitoring-constructs'
 * "monitoring" of a facade). A segment makes both from its own props; the monitoring stack only
 * assembles segments and lays out the dashboard.
 */
export abstract class MonitoringSegment extends Construct {
  /** Its alarms, in the order they were made. */
  readonly alarms: RoutedAlarm[] = [];
  /** Its dashboard widgets, in reading order (the stack places them). @default none */
  readonly widgets: cloudwatch.IWidget[] = [];
  private readonly naming: MonitoringSegmentProps;

  protected constructor(scope: Construct, id: string, props: MonitoringSegmentProps) {
    super(scope, id);
    this.naming = props;
  }

  /** Makes one routed alarm of this segment. */
  protected addAlarm(spec: SegmentAlarmSpec): RoutedAlarm {
    const { slug, ...props } = spec;
    const alarm = new RoutedAlarm(
      this,
      constructId(slug),
      { ...props, alarmName: `${this.naming.alarmNamePrefix}-${slug}` },
      this.naming.routes,
    );
    this.alarms.push(alarm);
    return alarm;
  }
}

/**
 * The logical ID `element` would have without the segments above it, so that grouping alarms into
 * segments does not rename them in the template. The alarms, rules and the RDS event subscription
 * carry fixed names: under a new logical ID CloudFormation would create the new resource while
 * the old one still holds the name (a failed deployment), then delete it. This is the CDK's own
 * scheme (`makeUniqueId`, which it keeps stable across versions), on the path minus segments;
 * the snapshot test pins the result.
 */
export function logicalIdWithoutSegments(stack: Stack, element: CfnElement): string {
  const scopes: IConstruct[] = element.node.scopes;
  const path = scopes
    .slice(scopes.indexOf(stack) + 1)
    .filter((scope) => !(scope instanceof MonitoringSegment))
    .map((scope) => scope.node.id)
    .filter((id) => id !== 'Default');
  const alphanumeric = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  const [only] = path;
  if (path.length === 1 && only !== undefined) return alphanumeric(only);
  const hash = createHash('md5').update(path.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const id of path) if (!human.at(-1)?.endsWith(id)) human.push(id);
  return (
    human
      .filter((id) => id !== 'Resource')
      .map(alphanumeric)
      .join('')
      .slice(0, 240) + hash
  );
}
