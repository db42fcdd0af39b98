import { runSimulatorMain } from '../shared/run-main';
import { defaultAngelPort, startAngelSimulator } from './simulator';

/**
 * Runs the Angel One simulator on its own (`node --import tsx scripts/sim/angelone/main.ts`), for
 * poking at it with the SDK or curl. The credentials are the simulator's own, never a real
 * account's.
 */
runSimulatorMain(
  'angelone',
  () =>
    startAngelSimulator({
      port: defaultAngelPort(),
      apiKey: process.env.LOCAL_ANGELONE_API_KEY ?? 'simkey',
      clientCode: process.env.LOCAL_ANGELONE_CLIENT_CODE ?? 'S1234567',
      pin: process.env.LOCAL_ANGELONE_PIN ?? '1234',
      totpSecret: process.env.LOCAL_ANGELONE_TOTP_SECRET ?? 'JBSWY3DPEHPK3PXP',
      name: 'Sim Trader',
    }),
  (s) => ({ apiRoot: s.apiRoot, orderStreamUrl: s.orderStreamUrl, feedUrl: s.feedUrl }),
);
