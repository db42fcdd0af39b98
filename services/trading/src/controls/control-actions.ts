import type { Logger } from 'pino';
import { twoPersonRefusal } from '../../../common/two-person';
import { type Actor, ControlRefused, type ReloadRequest } from '../api';
import type { ControlsRepository } from '../controls-repository';
import type { TradingState } from '../domain';
import type { Engine } from '../engine';
import type { FlagSnapshot, FlagWatcher } from '../flag/flag-watcher';
import type { ServiceBreakers } from '../health/circuit-breaker';
import type { LeaseManager } from '../leases/lease-manager';
import type { Metrics } from '../metrics/metrics';
import type { FlattenResult, OrderManager } from '../oms/order-manager';
import type { RiskEventWriter } from '../risk/risk-event-writer';
import { createStrategy, loadStrategyConfigs, MANUAL_STRATEGY_ID } from '../strategies/registry';
import type { StrategyConfig } from '../strategies/strategy-config';
import { strategyConfigDigest } from '../strategies/strategy-digest';
import type { Control, TradingStateMachine } from '../trading-state';
import type { Universe } from '../universe';
import type { Auditor } from './auditor';

/** What the control actions act on. */
export interface ControlActionsDeps {
  readonly controls: ControlsRepository;
  readonly states: TradingStateMachine;
  readonly flag: FlagWatcher;
  readonly oms: OrderManager;
  readonly engine: Engine;
  readonly leases: LeaseManager;
  readonly universe: Universe;
  readonly breakers: ServiceBreakers;
  readonly metrics: Metrics;
  readonly riskEvents: RiskEventWriter;
  readonly auditor: Auditor;
  readonly log: Logger;
  /** Where `reloadStrategies` reads the strategies from. @default the built-in ones */
  readonly strategiesFile?: string;
  /** The strategies the task started with: the `before` of the first reload's digest. */
  readonly strategies: readonly StrategyConfig[];
  /** LIVE: a strategy reload needs a second person (the two-person rule). */
  readonly mode: 'PAPER' | 'LIVE';
}

/** The strategies a task runs: their ids and the digest of their configs. */
export interface StrategySet {
  readonly strategies: readonly string[];
  readonly configSha256: string;
}

function strategySet(configs: readonly StrategyConfig[]): StrategySet {
  return { strategies: configs.map((c) => c.id), configSha256: strategyConfigDigest(configs) };
}

/**
 * The control actions of the API, and the risk halt the service raises on its own. Every one
 * is audited, whatever its outcome; pause and the risk halt go to the database first, so that
 * every task applies them.
 */
export class ControlActions {
  /** The configs running now: what the next reload's audit row names as `before`. */
  private configs: readonly StrategyConfig[];

  constructor(private readonly deps: ControlActionsDeps) {
    this.configs = deps.strategies;
  }

  /** No new entries (exits continue), service-wide. */
  async pause(actor: Actor): Promise<{ state: TradingState }> {
    const { controls, states, auditor } = this.deps;
    const before = states.state();
    await controls.set('pause', true, actor.requestedBy, { reason: actor.reason });
    states.setPaused({ by: actor.requestedBy, reason: actor.reason, at: Date.now() });
    const after = states.state();
    await auditor.record(actor, 'pause', { state: before }, { state: after });
    return { state: after };
  }

  /** Lifts the pause, service-wide. */
  async unpause(actor: Actor): Promise<{ state: TradingState }> {
    const { controls, states, auditor } = this.deps;
    const before = states.state();
    await controls.set('pause', false, actor.requestedBy, { reason: actor.reason });
    states.setPaused(undefined);
    const after = states.state();
    await auditor.record(actor, 'unpause', { state: before }, { state: after });
    return { state: after };
  }

  /** The push path of the emergency stop: HALTED now, until a newer flag version says "true". */
  async pushHalt(actor: Actor): Promise<{ state: TradingState; flag: FlagSnapshot }> {
    const { states, flag: watcher, auditor } = this.deps;
    const before = states.state();
    const flag = watcher.pushHalt(actor.requestedBy, actor.reason);
    const after = states.state();
    await auditor.record(actor, 'control-halt', { state: before }, { state: after });
    return { state: after, flag };
  }

  /** Closes the positions this task holds (a dry run only plans, and is not audited). */
  async flatten(actor: Actor, dryRun: boolean): Promise<FlattenResult> {
    const result = await this.deps.oms.flatten(actor.reason, dryRun);
    if (!dryRun) await this.deps.auditor.flatten(actor, 'flatten', result);
    return result;
  }

  /** Clears the risk halt (REFUSED in the audit when there was none). */
  async resetRiskHalt(actor: Actor): Promise<{ state: TradingState; cleared?: Control }> {
    const { controls, states, metrics, auditor } = this.deps;
    const cleared = states.snapshot().riskHalt;
    const before = states.state();
    await controls.set('risk_halt', false, actor.requestedBy, { reason: actor.reason });
    states.setRiskHalt(undefined);
    metrics.set('algo_daily_loss_stop_hit', 0);
    const after = states.state();
    await auditor.record(
      actor,
      'reset-risk-halt',
      { state: before, riskHalt: cleared },
      { state: after },
      cleared ? 'OK' : 'REFUSED',
    );
    return { state: after, cleared };
  }

  /** Reads the universe file again; on failure the old universe stays. */
  async reloadUniverse(actor: Actor) {
    const { universe, auditor } = this.deps;
    try {
      const change = await universe.reload();
      await auditor.record(actor, 'universe-reload', undefined, change);
      return change;
    } catch (error) {
      await auditor.record(actor, 'universe-reload', undefined, { error: String(error) }, 'FAILED');
      throw error;
    }
  }

  /**
   * Reads the strategies again; a removed strategy's orders stop here. The algo logic is what the
   * exchange approved: in LIVE a reload needs a second person (`approvedBy`, the two-person rule
   * of resume), and without one it is refused, audited, and nothing is read. Every row records
   * the digest of the configs before and after.
   */
  async reloadStrategies(request: ReloadRequest) {
    const { engine, oms, leases, universe, auditor, mode } = this.deps;
    const actor = { requestedBy: request.requestedBy, reason: request.reason };
    const before = strategySet(this.configs);
    const approval = { mode, approvedBy: request.approvedBy ?? null };
    const unapproved =
      mode === 'LIVE' ? twoPersonRefusal(request.requestedBy, request.approvedBy) : undefined;
    if (unapproved) {
      await auditor.record(
        actor,
        'strategies-reload',
        before,
        { ...approval, refused: unapproved },
        'REFUSED',
      );
      throw new ControlRefused(`${unapproved}: a strategy reload in LIVE needs a second person`);
    }
    try {
      const configs = await loadStrategyConfigs(this.deps.strategiesFile, universe);
      const strategies = configs.map(createStrategy);
      const after = strategySet(configs);
      for (const removed of before.strategies.filter((id) => !after.strategies.includes(id)))
        oms.release(removed);
      engine.setStrategies(strategies);
      this.configs = configs;
      await leases.setStrategies([...after.strategies, MANUAL_STRATEGY_ID]);
      await auditor.record(actor, 'strategies-reload', before, { ...after, ...approval });
      return {
        before: before.strategies,
        after: after.strategies,
        configSha256: { before: before.configSha256, after: after.configSha256 },
        ...approval,
      };
    } catch (error) {
      await auditor.record(
        actor,
        'strategies-reload',
        before,
        { ...approval, error: String(error) },
        'FAILED',
      );
      throw error;
    }
  }

  /** Closes a breaker by hand; undefined when there is no breaker of that name. */
  async resetBreaker(name: string, actor: Actor) {
    const breaker = Object.values(this.deps.breakers).find((b) => b.name === name);
    if (!breaker) return undefined;
    const before = breaker.reset(actor.requestedBy);
    await this.deps.auditor.record(actor, 'circuit-breaker-reset', before, breaker.snapshot());
    return breaker.snapshot();
  }

  /**
   * HARD_HALT service-wide, raised by the service itself (loss stop, heat cap, a reconciliation
   * mismatch): stored, applied here, recorded as a risk event and audited.
   */
  async riskHalt(cause: string, reason: string, detail: Record<string, unknown>): Promise<void> {
    const { controls, states, riskEvents, auditor, log } = this.deps;
    const actor = auditor.self(`${cause}: ${reason}`);
    const by = actor.requestedBy;
    const before = states.state();
    await controls.set('risk_halt', true, by, {
      reason: actor.reason,
      cause,
      ...detail,
    });
    states.setRiskHalt({
      by,
      reason: actor.reason,
      at: Date.now(),
      detail: { cause, ...detail },
    });
    riskEvents.record({
      kind: 'BREACH',
      rule: cause,
      detail: { reason, ...detail },
      at: Date.now(),
    });
    log.error({ cause, reason, ...detail }, 'RISK HALT');
    await auditor.record(actor, 'risk-halt', { state: before }, { state: 'HARD_HALT', cause });
  }
}
