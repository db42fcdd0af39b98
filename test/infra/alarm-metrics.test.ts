import { Template } from 'aws-cdk-lib/assertions';
import { EMITTED_METRIC_NAMES, METRIC_NAMESPACE, OPS_METRICS } from '../../contract/metrics';
import { METRICS } from '../../services/trading/src/metrics/metrics';
import { buildStage } from './synth';

interface MetricStat {
  readonly Metric: { readonly Namespace: string; readonly MetricName: string };
}

interface AlarmProperties {
  readonly AlarmName: string;
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Metrics?: ReadonlyArray<{ readonly MetricStat?: MetricStat }>;
}

/** What the runtime publishes: the trading service's EMF names and the Lambdas' metrics. */
const emittedByRuntime = new Set<string>([
  ...Object.values(METRICS).flatMap((d) => ('cloudWatch' in d ? [d.cloudWatch] : [])),
  ...Object.values(OPS_METRICS),
]);

describe('alarm metrics (prod)', () => {
  const { stacks } = buildStage({ stage: 'prod', account: '123456789012' });
  const alarms = Object.values(
    Template.fromStack(stacks.monitoring).findResources('AWS::CloudWatch::Alarm'),
  ).map((r) => r.Properties as AlarmProperties);
  // Each metric an alarm reads in our namespace, directly or inside a math expression.
  const watched = alarms.flatMap((a) => [
    ...(a.Namespace === METRIC_NAMESPACE ? [{ alarm: a.AlarmName, metric: a.MetricName }] : []),
    ...(a.Metrics ?? [])
      .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []))
      .filter((m) => m.Namespace === METRIC_NAMESPACE)
      .map((m) => ({ alarm: a.AlarmName, metric: m.MetricName })),
  ]);

  it('finds the alarms on our own metrics', () => {
    // Assert: the trading signals and the procedures' reports.
    expect(watched.length).toBeGreaterThanOrEqual(15);
  });

  it('lists in the contract exactly what the runtime emits', () => {
    // Assert
    expect([...EMITTED_METRIC_NAMES].sort()).toEqual([...emittedByRuntime].sort());
  });

  it('watches only metrics the code emits', () => {
    // Act
    const never = watched.filter(({ metric }) => !emittedByRuntime.has(metric ?? ''));

    // Assert
    expect(
      never.map(({ alarm, metric }) => `${alarm} watches ${metric}, which nothing emits`),
    ).toEqual([]);
  });
});
