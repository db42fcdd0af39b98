import { describeBrokerContract } from './broker-contract';
import { startUpstoxVenue } from './upstox-venue';

describeBrokerContract('Upstox adapter against the Upstox simulator', () => startUpstoxVenue());
