import { describeBrokerContract } from './broker-contract';
import { startKiteVenue } from './kite-venue';

describeBrokerContract('Kite adapter against the Kite simulator', () => startKiteVenue());
