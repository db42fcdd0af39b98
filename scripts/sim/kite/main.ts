import { defaultKitePort, startKiteSimulator } from './simulator';

/**
 * Runs the Kite simulator on its own (`node --import tsx scripts/sim/kite/main.ts`), for poking
 * at it with the SDK or curl. The credentials are the simulator's own, never a real app's.
 */
async function main(): Promise<void> {
  const simulator = await startKiteSimulator({
    port: defaultKitePort(),
    apiKey: process.env.LOCAL_KITE_API_KEY ?? 'simkey',
    apiSecret: process.env.LOCAL_KITE_API_SECRET ?? 'simsecret',
    userId: process.env.LOCAL_KITE_USER_ID ?? 'SIM001',
  });
  process.stdout.write(
    `${JSON.stringify({ apiRoot: simulator.apiRoot, tickerRoot: simulator.tickerRoot, loginUrl: simulator.loginUrl })}\n`,
  );
  const shutdown = () => {
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`kite simulator failed to start: ${String(error)}\n`);
  process.exit(1);
});
