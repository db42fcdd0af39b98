import { RiskLimitsSchema } from '../../contract/risk-limits';
import { createLogger } from '../../services/common/logger';
import { composeTradingService } from '../../services/trading/src/compose';
import { loadTradingConfig } from '../../services/trading/src/config';

/**
 * The trading service as main.ts runs it, except that BENCH_LIMITS may replace the limits (the
 * order-path benchmark declares a registered algo to get 1,000 accepted orders a second).
 */
async function run(): Promise<void> {
  const config = loadTradingConfig(process.env);
  const taskId = config.env.TASK_ID ?? `bench-${process.pid}`;
  const log = createLogger('trading', config.env.LOG_LEVEL, { taskId });
  const limitsOverride = process.env.BENCH_LIMITS
    ? RiskLimitsSchema.parse(JSON.parse(process.env.BENCH_LIMITS))
    : undefined;
  const { service, app, close } = await composeTradingService(config, {
    taskId,
    log,
    limitsOverride,
  });
  process.on('SIGTERM', () => {
    void service
      .stop('bench finished')
      .then(close)
      .finally(() => process.exit(0));
  });
  await service.start();
  await app.listen({ host: '127.0.0.1', port: config.env.PORT });
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
