import { runSimulatorMain } from '../shared/run-main';
import { defaultKitePort, startKiteSimulator } from './simulator';

/**
 * Runs the Kite simulator on its own (`node --import tsx scripts/sim/kite/main.ts`), for poking
 * at it with the SDK or curl. The credentials are the simulator's own, never a real app's.
 */
runSimulatorMain(
  'kite',
  () =>
    startKiteSimulator({
      port: defaultKitePort(),
      apiKey: process.env.LOCAL_KITE_API_KEY ?? 'simkey',
      apiSecret: process.env.LOCAL_KITE_API_SECRET ?? 'simsecret',
      userId: process.env.LOCAL_KITE_USER_ID ?? 'SIM001',
    }),
  (s) => ({ apiRoot: s.apiRoot, tickerRoot: s.tickerRoot, loginUrl: s.loginUrl }),
);
