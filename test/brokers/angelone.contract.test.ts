import { startAngelOneVenue } from './angelone-venue';
import { describeBrokerContract } from './broker-contract';

describeBrokerContract('Angel One adapter against the Angel One simulator', () =>
  startAngelOneVenue(),
);
