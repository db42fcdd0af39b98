import {
  GetParameterHistoryCommand,
  GetParametersCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { ParameterRead, ParameterStore, ParameterValue } from './parameter-store';

/** SSM Parameter Store; the client comes with the SDK's default credentials and endpoint. */
export class SsmParameterStore implements ParameterStore {
  readonly kind = 'ssm' as const;

  constructor(private readonly ssm: SSMClient) {}

  async getParameters(names: readonly string[], signal?: AbortSignal): Promise<ParameterRead> {
    const out = await this.ssm.send(
      new GetParametersCommand({ Names: [...names], WithDecryption: false }),
      signal ? { abortSignal: signal } : {},
    );
    const found = new Map<string, ParameterValue>();
    for (const p of out.Parameters ?? []) {
      if (p.Name === undefined || p.Value === undefined) continue;
      found.set(p.Name, {
        name: p.Name,
        value: p.Value,
        version: p.Version ?? 0,
        lastModified: p.LastModifiedDate?.getTime() ?? 0,
      });
    }
    return { found, missing: out.InvalidParameters ?? names.filter((n) => !found.has(n)) };
  }

  async putParameter(name: string, value: string): Promise<{ version: number }> {
    // The IAM principal is what SSM records as the writer; the operator goes to the audit log.
    const out = await this.ssm.send(
      new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }),
    );
    return { version: out.Version ?? 0 };
  }

  async history(name: string, limit: number): Promise<ParameterValue[]> {
    const versions: ParameterValue[] = [];
    let nextToken: string | undefined;
    // SSM returns history oldest first, 50 at a time.
    do {
      const page = await this.ssm.send(
        new GetParameterHistoryCommand({ Name: name, MaxResults: 50, NextToken: nextToken }),
      );
      for (const p of page.Parameters ?? []) {
        versions.push({
          name,
          value: p.Value ?? '',
          version: p.Version ?? 0,
          lastModified: p.LastModifiedDate?.getTime() ?? 0,
          lastModifiedUser: p.LastModifiedUser,
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return versions.sort((a, b) => b.version - a.version).slice(0, limit);
  }
}
