import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmSource, AlarmState } from '../ports';

/** The stage's alarms (those whose names start with the stage prefix). */
export class CloudWatchAlarmSource implements AlarmSource {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly prefix: string,
  ) {}

  async inAlarm(): Promise<AlarmState[]> {
    const out: AlarmState[] = [];
    let token: string | undefined;
    do {
      const page = await this.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: this.prefix,
          StateValue: 'ALARM',
          // Without it only metric alarms come back: safe-to-trade is a composite.
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          NextToken: token,
        }),
      );
      for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        out.push({
          name: a.AlarmName ?? '',
          state: 'ALARM',
          reason: a.StateReason ?? '',
          updatedAt: a.StateUpdatedTimestamp?.toISOString() ?? '',
        });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  async alarmedSince(
    sinceMs: number,
  ): Promise<Array<{ name: string; at: string; reason: string }>> {
    const out: Array<{ name: string; at: string; reason: string }> = [];
    let token: string | undefined;
    do {
      const page = await this.cloudwatch.send(
        new DescribeAlarmHistoryCommand({
          StartDate: new Date(sinceMs),
          EndDate: new Date(),
          HistoryItemType: 'StateUpdate',
          NextToken: token,
        }),
      );
      for (const h of page.AlarmHistoryItems ?? []) {
        if (!h.AlarmName?.startsWith(this.prefix) || !/to ALARM/.test(h.HistorySummary ?? ''))
          continue;
        out.push({
          name: h.AlarmName,
          at: h.Timestamp?.toISOString() ?? '',
          reason: h.HistorySummary ?? '',
        });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }
}
