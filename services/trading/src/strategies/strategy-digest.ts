import { canonicalDigest } from '../../../common/canonical-json';
import type { StrategyConfig } from './strategy-config';

/**
 * The digest of the strategies a task runs: sha256 of the canonical JSON of their validated
 * configs (defaults filled in), in id order. A reload's audit row records it before and after,
 * so the row says whether the algo logic changed, whatever the file's layout or order.
 */
export function strategyConfigDigest(configs: readonly StrategyConfig[]): string {
  return canonicalDigest([...configs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}
