import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadModule } from './load-module';

/**
 * A Secrets Manager secret's text, read again at most once every `ttlMs`, so a rotated secret is
 * picked up without a restart. The SDK client loads on the first read; `wrap` instruments it
 * (the Lambdas trace their clients).
 */
export function secretReader(
  secretArn: string,
  ttlMs: number,
  options: { readonly client?: SecretsManagerClient; readonly wrap?: <T>(client: T) => T } = {},
): () => Promise<string> {
  let client = options.client;
  let cached: { value: string; at: number } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      const sdk = await loadModule<typeof import('@aws-sdk/client-secrets-manager')>(() =>
        require('@aws-sdk/client-secrets-manager'),
      );
      const wrap = options.wrap ?? (<T>(c: T) => c);
      client ??= wrap(new sdk.SecretsManagerClient({}));
      const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretArn }));
      cached = { value: out.SecretString ?? '', at: Date.now() };
    }
    return cached.value;
  };
}
