import type { EngineSimContext } from '../shared/context';
import type { SimInstrument } from '../shared/instruments';
import type { AngelSessions } from './session';
import type { AngelStreams } from './streams';

/** The simulator's parts, as the routes and the control handle share them. */
export interface AngelSimContext extends EngineSimContext<AngelSessions, AngelStreams> {
  /** The instrument of an Angel `symboltoken`. */
  instrumentByToken(symbolToken: string): SimInstrument | undefined;
}
