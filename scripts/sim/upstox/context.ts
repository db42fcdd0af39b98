import type { EngineSimContext } from '../shared/context';
import type { SimInstrument } from '../shared/instruments';
import type { UpstoxSessions } from './session';
import type { UpstoxStreams } from './streams';

/** The simulator's parts, as the routes and the control handle share them. */
export interface UpstoxSimContext extends EngineSimContext<UpstoxSessions, UpstoxStreams> {
  instrumentByKey(key: string): SimInstrument | undefined;
}
