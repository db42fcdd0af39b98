import { runSimulatorMain } from '../shared/run-main';
import { defaultUpstoxPort, startUpstoxSimulator } from './simulator';

/**
 * Runs the Upstox simulator on its own (`node --import tsx scripts/sim/upstox/main.ts`), for
 * poking at it with the SDK or curl. The credentials are the simulator's own, never a real app's.
 */
runSimulatorMain(
  'upstox',
  () =>
    startUpstoxSimulator({
      port: defaultUpstoxPort(),
      clientId: process.env.LOCAL_UPSTOX_CLIENT_ID ?? 'simclient',
      clientSecret: process.env.LOCAL_UPSTOX_CLIENT_SECRET ?? 'simsecret',
      userId: process.env.LOCAL_UPSTOX_USER_ID ?? 'SIM001',
    }),
  (s) => ({ apiRoot: s.apiRoot, dialogUrl: s.dialogUrl, redirectUri: s.redirectUri }),
);
