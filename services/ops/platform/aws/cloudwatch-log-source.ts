import { type CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { LogLine, LogSource } from '../ports';

/** The services' log group. */
export class CloudWatchLogSource implements LogSource {
  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly logGroup: string,
  ) {}

  async lines(options: { sinceMs: number; pattern?: string; limit: number }): Promise<LogLine[]> {
    const out: LogLine[] = [];
    let token: string | undefined;
    do {
      const page = await this.logs.send(
        new FilterLogEventsCommand({
          logGroupName: this.logGroup,
          startTime: options.sinceMs,
          filterPattern: options.pattern ? JSON.stringify(options.pattern) : undefined,
          nextToken: token,
          limit: Math.min(10_000, options.limit),
        }),
      );
      for (const e of page.events ?? [])
        out.push({
          timestamp: e.timestamp ?? 0,
          stream: e.logStreamName ?? '',
          message: e.message ?? '',
        });
      token = page.nextToken;
    } while (token && out.length < options.limit);
    return out.slice(-options.limit);
  }
}
