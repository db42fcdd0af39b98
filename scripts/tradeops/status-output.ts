import type { AuditVerification } from '../../services/common/db/audit';
import { formatIst, isoUtc } from '../../services/common/time';
import type { StatusReport } from '../../services/ops/procedures/status';
import type { CliIo } from './cli-support';
import { table } from './output';

/** `tradeops status`: the flag, the service, every task, and the halted algos. */
export function printStatus(io: CliIo, s: StatusReport, json: boolean): void {
  if (json) {
    // Times for machines are ISO 8601 UTC, as `at` is; the store keeps epoch ms.
    const flag =
      'missing' in s.flag ? s.flag : { ...s.flag, lastModified: isoUtc(s.flag.lastModified) };
    io.out(JSON.stringify({ ...s, flag }, null, 2));
    return;
  }
  const flag =
    'missing' in s.flag
      ? `MISSING${s.flag.error ? ` (${s.flag.error})` : ''}`
      : `${JSON.stringify(s.flag.value)} (version ${s.flag.version}, ${formatIst(s.flag.lastModified)}${s.flag.lastModifiedUser ? `, by ${s.flag.lastModifiedUser}` : ''})`;
  io.out(`stage ${s.stage} at ${formatIst(Date.parse(s.at))}`);
  io.out(`kill flag: ${flag}`);
  io.out(
    'error' in s.service
      ? `service: ${s.service.error}`
      : `service: ${s.service.name} ${s.service.runningCount}/${s.service.desiredCount} running, rollout ${s.service.rolloutState}`,
  );
  io.out('');
  io.out(
    table(
      s.tasks.map((t) => ({
        task: t.taskId,
        state: t.state?.state ?? 'UNREACHABLE',
        cause: t.state?.cause ?? t.error ?? '',
        market: t.state
          ? `${t.state.market.open ? 'open' : 'closed'} ${t.state.market.nowIst}`
          : '',
        pnlPct: t.state?.pnl.dailyPct ?? '',
        heatPct: t.state?.heat.pct ?? '',
        positions: t.state?.openPositions ?? '',
        working: t.state?.workingOrders ?? '',
      })),
    ),
  );
  // Every task reads the same algo_halts: the first task that answers speaks for all.
  const algos = s.tasks.find((t) => t.state?.algos)?.state?.algos;
  if (!algos?.length) return;
  io.out('');
  io.out(
    table(
      algos.map((a) => ({
        algo: a.algoId,
        strategy: a.strategyId,
        state: a.halted ? 'HALTED' : 'trading',
        by: a.halted?.by ?? '',
        since: a.halted ? formatIst(Date.parse(a.halted.at)) : '',
        reason: a.halted?.reason ?? '',
      })),
    ),
  );
}

/** `tradeops audit verify`. */
export function printAudit(io: CliIo, v: AuditVerification, json: boolean): void {
  if (json) io.out(JSON.stringify(v, null, 2));
  else if (v.ok) io.out(`audit chain intact: ${v.rows} rows, head ${v.headHash ?? '(empty)'}`);
  else
    io.out(
      `AUDIT CHAIN BROKEN at row ${v.firstBroken.id}: ${v.firstBroken.problem} (${v.rows} rows)`,
    );
}
