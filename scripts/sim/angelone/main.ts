import { defaultAngelPort, startAngelSimulator } from './simulator';

/**
 * Runs the Angel One simulator on its own (`node --import tsx scripts/sim/angelone/main.ts`), for
 * poking at it with the SDK or curl. The credentials are the simulator's own, never a real
 * account's.
 */
async function main(): Promise<void> {
  const simulator = await startAngelSimulator({
    port: defaultAngelPort(),
    apiKey: process.env.LOCAL_ANGELONE_API_KEY ?? 'simkey',
    clientCode: process.env.LOCAL_ANGELONE_CLIENT_CODE ?? 'S1234567',
    pin: process.env.LOCAL_ANGELONE_PIN ?? '1234',
    totpSecret: process.env.LOCAL_ANGELONE_TOTP_SECRET ?? 'JBSWY3DPEHPK3PXP',
    name: 'Sim Trader',
  });
  process.stdout.write(
    `${JSON.stringify({ apiRoot: simulator.apiRoot, orderStreamUrl: simulator.orderStreamUrl, feedUrl: simulator.feedUrl })}\n`,
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
  process.stderr.write(`angelone simulator failed to start: ${String(error)}\n`);
  process.exit(1);
});
