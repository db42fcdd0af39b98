import type { RiskLimits } from '../../../../contract/risk-limits';
import type { Auditor } from '../controls/auditor';
import type { ControlActions } from '../controls/control-actions';
import type { Metrics } from '../metrics/metrics';
import type { OrderManager } from '../oms/order-manager';
import type { Portfolio } from '../oms/portfolio';
import type { TradingStateMachine } from '../trading-state';

/** The book's figures at one evaluation, as percentages of capital too. */
export interface BookReading {
  readonly figures: ReturnType<Portfolio['figures']>;
  readonly dailyPct: number;
  readonly heatPct: number;
}

/** What the post-trade checks watch and what they may do. */
export interface PostTradeRiskDeps {
  readonly limits: RiskLimits;
  readonly portfolio: Portfolio;
  readonly states: TradingStateMachine;
  readonly oms: OrderManager;
  readonly metrics: Metrics;
  readonly controls: Pick<ControlActions, 'riskHalt'>;
  readonly auditor: Auditor;
}

/**
 * The post-trade half of risk, beside the pre-trade checks: the daily loss stop and the heat
 * cap, judged on the book as it is now rather than on one order.
 */
export class PostTradeRisk {
  constructor(private readonly deps: PostTradeRiskDeps) {}

  /**
   * A loss at the stop: risk halt and flatten. Heat over the cap: cancel working entries, and
   * risk halt when that does not bring it under. Returns the figures it judged.
   */
  async check(): Promise<BookReading> {
    const { limits, portfolio, states, oms, metrics, controls, auditor } = this.deps;
    const capital = limits.capitalInr;
    const figures = portfolio.figures();
    const dailyPct = (figures.dailyInr / capital) * 100;
    const heatPct = (figures.heatInr / capital) * 100;
    const state = states.state();
    if (dailyPct <= -limits.dailyLossStopPct && state !== 'HARD_HALT') {
      metrics.set('algo_daily_loss_stop_hit', 1);
      await controls.riskHalt(
        'DAILY_LOSS_STOP',
        `daily P&L ${dailyPct.toFixed(2)}% hit the ${limits.dailyLossStopPct}% loss stop`,
        { dailyPct },
      );
      const result = await oms.flatten('daily loss stop', false);
      await auditor.flatten(auditor.self('daily loss stop'), 'flatten', result);
    } else if (heatPct > limits.maxPortfolioHeatPct && state !== 'HARD_HALT') {
      // Blocking new entries cannot lower heat; cancelling working entries might, else halt.
      await oms.cancelWorking('entries', `portfolio heat ${heatPct.toFixed(2)}% over cap`);
      if ((portfolio.heatInr() / capital) * 100 > limits.maxPortfolioHeatPct) {
        await controls.riskHalt(
          'HEAT_CAP_BREACH',
          `portfolio heat ${heatPct.toFixed(2)}% is over the ${limits.maxPortfolioHeatPct}% cap`,
          { heatPct },
        );
      }
    }
    return { figures, dailyPct, heatPct };
  }
}
