import { defaultUpstoxPort, startUpstoxSimulator } from './simulator';

/**
 * Runs the Upstox simulator on its own (`node --import tsx scripts/sim/upstox/main.ts`), for
 * poking at it with the SDK or curl. The credentials are the simulator's own, never a real app's.
 */
async function main(): Promise<void> {
  const simulator = await startUpstoxSimulator({
    port: defaultUpstoxPort(),
    clientId: process.env.LOCAL_UPSTOX_CLIENT_ID ?? 'simclient',
    clientSecret: process.env.LOCAL_UPSTOX_CLIENT_SECRET ?? 'simsecret',
    userId: process.env.LOCAL_UPSTOX_USER_ID ?? 'SIM001',
  });
  process.stdout.write(
    `${JSON.stringify({ apiRoot: simulator.apiRoot, dialogUrl: simulator.dialogUrl, redirectUri: simulator.redirectUri })}\n`,
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
  process.stderr.write(`upstox simulator failed to start: ${String(error)}\n`);
  process.exit(1);
});
