/** A local-stack trading environment in LIVE on `broker`, as `loadTradingConfig` takes it. */
export function liveLocalEnv(
  broker: 'kite' | 'upstox' | 'angelone',
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    STAGE: 'local',
    MODE: 'LIVE',
    LIVE_CONFIRMATION: 'I understand this places real orders',
    BROKER: broker,
    BROKER_LOCAL_SECRET_DIR: `/tmp/secrets/${broker}`,
    DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
    CONTROL_TOKEN: 'a-control-token-of-some-length',
    LOCAL_PARAMETER_FILE: '/tmp/parameters.json',
    ...extra,
  };
}
