import type { Pool } from 'pg';
import { sleep } from '../../../common/retry';
import { DAY_CAP_RECHECK_MS, OrderRateCaps } from './order-rate-caps';
import { OrderRateLocalShare } from './order-rate-local-share';
import type { OrderRateLimiterOptions } from './order-rate-options';
import {
  DailyOrderCapError,
  type OrderRateView,
  type Slot,
  type SlotAnswer,
} from './order-rate-slots';
import {
  type BatchSlotRow,
  type OrderCap,
  OrderRateStore,
  type SlotClaim,
  type SlotRow,
} from './order-rate-store';

/**
 * The client's order-rate limit, shared by every trading task of the stage through PostgreSQL: a
 * sliding window of `1 s + marginMs` over the database clock, one round trip per slot
 * (`take_order_rate_slot`). A refusal says when the next slot frees; until then refusals are
 * answered here without asking the database, so a burst costs one round trip per freed slot.
 * The order manager's entries take theirs in the statement that records them, a batch at a time
 * (`batchClaim`, `settleBatch`; see `OrderInserts`): no round trip of their own.
 *
 * The same statement counts the broker's own caps (`brokerCaps`: its minute and its hour, each in
 * a ring of its own, and its IST day, a count in the bucket row): a slot is granted only when every
 * cap has room, and a refusal names the cap that binds. At the daily cap entries are refused
 * without a wait and exits and cancels are refused too (`dailyCapReached` says why). Known gap:
 * the local share used while the database is unreachable counts only the second.
 *
 * Entries (`tryTake`) need the database: without it they are refused (they could not be recorded
 * anyway). Exits and cancels (`take`) wait in line for a slot and are never refused: while the
 * database is unreachable they go out on this task's share of the limit (the limit divided by the
 * tasks seen in the last minute), and those sends are counted into the shared window when it
 * returns. The margin covers the time from a slot's stamp to the venue's receipt: as long as no
 * message takes longer than `marginMs` from one to the other, no 1-second window at the venue
 * holds more than `limit` (limit + 1 stamps span at least 1 s + margin).
 *
 * That condition fails on a starved machine: the grant's answer waits for the event loop, and a
 * message sent 300 ms after its stamp lands in the next second with the next second's slots
 * (measured: 10-11 at the venue against 8 with two CPU burners beside the fault test). So the
 * door checks each slot right before the broker call (`sendDecision`): this task may use
 * `sendBudgetMs` of the margin, counted from asking for the slot (the stamp is later). A late
 * entry is not sent on that slot: one more round trip (`restampEntry`) moves its stamp to now if
 * the window ending now has room for it, and the door checks the moved slot as it checked the
 * first; with no room it is refused ORDER_RATE (its slot stays taken, which only errs on the safe
 * side). Refusing every late entry refused single manual orders into a nearly empty window on a
 * loaded machine. A late exit or cancel goes anyway and its stamp is moved to its real send time (`restamp`): moving a
 * stamp later keeps every window within the limit provided the move lands before the old stamp
 * leaves the window, so an exit later than half the window takes another slot instead.
 */
export class SharedOrderRateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  /** The stage-wide window in PostgreSQL. */
  private readonly store: OrderRateStore;
  /** This task's own sends, and its share of the limit when the database is unreachable. */
  private readonly share: OrderRateLocalShare;
  /** Of the margin, what this task may spend between asking for a slot and sending. */
  readonly sendBudgetMs: number;
  private readonly counts = {
    databaseRoundTrips: 0,
    localRefusals: 0,
    lateEntries: 0,
    restampedEntries: 0,
    restamped: 0,
    restampedOnAnswer: 0,
    lateRetries: 0,
  };
  private readonly caps: OrderRateCaps;
  private blockedUntil = 0;
  private blockedWhy = '';
  /** Until then the broker's daily cap is known used up: asked again at most once a second. */
  private dayCapUntil = 0;
  private databaseDownUntil = 0;
  private tasksSeen = 1;
  private lastUsed = 0;
  private lastUsedAt = 0;
  private peak = 0;
  private waiting = 0;
  private entriesAdmitted = 0;
  /** Entries ask the database one at a time, in arrival order. */
  private entryLine: Promise<unknown> = Promise.resolve();
  private line: Promise<unknown> = Promise.resolve();

  constructor(
    db: Pool,
    private readonly options: OrderRateLimiterOptions,
  ) {
    this.windowMs = 1000 + options.marginMs;
    this.caps = new OrderRateCaps(options.limit, this.windowMs, options.brokerCaps, {
      minuteMs: options.minuteMs,
      hourMs: options.hourMs,
    });
    this.limit = this.caps.perSecond;
    this.now = options.now ?? Date.now;
    this.sendBudgetMs = options.sendBudgetMs ?? Math.floor(options.marginMs / 2);
    this.store = new OrderRateStore(db, {
      bucket: options.bucket,
      taskId: options.taskId,
      limit: this.limit,
      windowMs: this.windowMs,
      caps: this.caps.store,
      timeoutMs: options.timeoutMs ?? 1000,
    });
    this.share = new OrderRateLocalShare(this.windowMs);
  }

  /** Milliseconds until a slot may be free, as far as this task knows (0: ask). */
  refusalWaitMs(): number {
    return Math.max(0, Math.max(this.blockedUntil, this.dayCapUntil) - this.now());
  }

  /**
   * The risk check's gate: admits an entry toward the door (0), or says how long to wait. At
   * most `limit` entries of this task are between the risk check and the door's answer (more
   * could never all get a slot). Measured under a 1,000/s burst: every entry let through is
   * written to the database before it reaches the door, and hundreds of doomed writes a second
   * starved the process until every granted slot came back too late to use (0 accepted, leases
   * lost).
   */
  admitEntry(): number {
    const wait = this.refusalWaitMs();
    if (wait > 0 || this.waiting > 0 || this.entriesAdmitted >= this.limit) {
      this.counts.localRefusals += 1;
      return Math.max(wait, 1);
    }
    this.entriesAdmitted += 1;
    return 0;
  }

  /** An entry admitted by `admitEntry` is settled (sent, refused or failed). */
  entryDone(): void {
    this.entriesAdmitted = Math.max(0, this.entriesAdmitted - 1);
  }

  /** A slot for an entry now, or a refusal; exits and cancels waiting here go first. */
  tryTake(): Promise<SlotAnswer> {
    // One entry request at a time: the next one knows the previous answer (a refusal sets
    // `blockedUntil`, so it is refused here without a round trip), and the wait in this line is
    // not counted against the send budget (the slot is stamped only once asked for).
    const turn = this.entryLine.then(() => this.tryTakeNow());
    this.entryLine = turn.catch(() => undefined);
    return turn;
  }

  private async tryTakeNow(): Promise<SlotAnswer> {
    const wait = this.refusalWaitMs();
    if (this.waiting > 0 || wait > 0) this.counts.localRefusals += 1;
    if (this.waiting > 0)
      return this.refuse(Math.max(wait, 1), 'exits and cancels are waiting for slots');
    if (this.now() < this.dayCapUntil) return this.caps.refusal('day', 0);
    if (wait > 0) return this.refuse(wait, this.blockedWhy || this.caps.why('second'));
    if (this.now() < this.databaseDownUntil)
      return this.refuse(
        this.databaseDownUntil - this.now(),
        'the order-rate database is unreachable',
      );
    return this.ask(false);
  }

  /**
   * Waits in line for a slot (exits, cancels). Resolves with the slot when it is this message's
   * turn, or undefined as soon as `stillValid` says it should no longer be sent.
   */
  async take(stillValid: () => boolean): Promise<Slot | undefined> {
    this.waiting += 1;
    const turn = this.line.then(() => this.waitForSlot(stillValid));
    this.line = turn.catch(() => undefined);
    try {
      return await turn;
    } finally {
      this.waiting -= 1;
    }
  }

  /**
   * Whether a granted slot may still be used, decided right before the broker call (nothing may
   * await between this and the call). `send`: on time. `restamp-first`: an entry past the send
   * budget: not sent on this slot; `restampEntry` may move it to now. `send-restamp`: an exit or
   * cancel past the send budget: send, then `restamp`. `retake`: an exit or cancel so late that a
   * moved stamp might land after its old one left the window: this slot stays taken and the
   * message waits for another.
   */
  sendDecision(
    slot: Slot,
    message: 'entry' | 'exit',
  ): 'send' | 'restamp-first' | 'send-restamp' | 'retake' {
    const late = this.now() - slot.askedAt;
    if (late <= this.sendBudgetMs) return 'send';
    if (message === 'entry') return 'restamp-first';
    // A slot of the local share has no stamp to move: it is this task's own count, and it is
    // recorded at grant time, so a late one waits for the next like a late shared one.
    if (late <= this.windowMs / 2 && slot.stamp !== undefined) {
      this.counts.restamped += 1;
      return 'send-restamp';
    }
    this.counts.lateRetries += 1;
    return 'retake';
  }

  /**
   * A late entry's second chance: moves its grant to now if the window ending now holds fewer
   * than `limit` grants besides it (checked and moved atomically, under the bucket lock a grant
   * takes), and answers the moved slot, asked for now, for the door to check again. Refused when
   * the window is full (the old stamp stays) or the database does not answer.
   */
  async restampEntry(slot: Slot): Promise<SlotAnswer> {
    const started = this.now();
    let stamp: string | null | undefined;
    try {
      if (slot.stamp === undefined) throw new Error('an entry slot without a stamp');
      stamp = await this.store.restampIfRoom(slot.stamp);
    } catch (error) {
      this.databaseDownUntil = this.now() + (this.options.retryDatabaseAfterMs ?? 1000);
      this.options.onDatabaseError?.(error);
      this.counts.lateEntries += 1;
      return this.refuse(1, 'the order-rate database is unreachable');
    }
    this.counts.databaseRoundTrips += 1;
    if (!stamp) {
      this.counts.lateEntries += 1;
      return this.refuse(
        1,
        `the slot came ${started - slot.askedAt} ms after it was asked for (a busy process) and the client's ${this.limit} messages per ${this.windowMs} ms are taken now`,
      );
    }
    this.counts.restampedEntries += 1;
    return { granted: true, askedAt: started, stamp };
  }

  /** Whether the venue's answer to a message sent on `slot` came later than the margin allows. */
  answeredLate(slot: Slot): boolean {
    const late = this.now() - slot.askedAt > this.options.marginMs && slot.stamp !== undefined;
    if (late) this.counts.restampedOnAnswer += 1;
    return late;
  }

  /**
   * Moves the slot's stamp to now: call it right after the late message was handed to the
   * broker. Not awaited by the sender (the exit is already out); a failure is reported to
   * `onDatabaseError` and the database's window keeps the earlier stamp.
   */
  restamp(slot: Slot): Promise<void> {
    if (slot.stamp === undefined) return Promise.resolve();
    return this.store.restamp(slot.stamp).then(
      () => undefined,
      (error: unknown) => this.options.onDatabaseError?.(error),
    );
  }

  view(): OrderRateView {
    const used = this.used();
    return {
      upstream: 'broker-orders',
      limit: this.limit,
      windowSeconds: this.windowMs / 1000,
      used,
      usagePct: Math.round((used / this.limit) * 100),
      mode: this.now() < this.databaseDownUntil ? 'local-share' : 'shared',
      tasksSeen: this.tasksSeen,
      waiting: this.waiting,
      counts: { ...this.counts },
    };
  }

  /** Highest stage-wide use of the window seen since the last call (orders-per-second metric). */
  takePeak(): number {
    const peak = Math.max(this.peak, this.used());
    this.peak = this.used();
    return peak;
  }

  private used(): number {
    const now = this.now();
    const shared = now - this.lastUsedAt < this.windowMs ? this.lastUsed : 0;
    return Math.max(shared, this.share.count(now));
  }

  private async waitForSlot(stillValid: () => boolean): Promise<Slot | undefined> {
    for (;;) {
      if (!stillValid()) return undefined;
      if (this.now() < this.dayCapUntil) return this.dailyCapReached();
      const wait = this.refusalWaitMs();
      if (wait > 0) {
        await sleep(wait);
        continue;
      }
      const answer = this.now() < this.databaseDownUntil ? this.localShare() : await this.ask(true);
      if (answer.granted) return answer;
      if (answer.cap === 'day') return this.dailyCapReached();
      if (answer.retryInMs > 0)
        this.blockedUntil = Math.max(this.blockedUntil, this.now() + answer.retryInMs);
    }
  }

  private async ask(localOnFailure: boolean): Promise<SlotAnswer> {
    const started = this.now();
    const backfill = this.share.backfill(started);
    let row: SlotRow;
    try {
      row = await this.store.take(backfill);
    } catch (error) {
      this.databaseDownUntil = this.now() + (this.options.retryDatabaseAfterMs ?? 1000);
      this.options.onDatabaseError?.(error);
      return localOnFailure
        ? this.localShare()
        : this.refuse(1, 'the order-rate database is unreachable');
    }
    this.answered(row, row.granted ? 1 : 0);
    if (!row.granted) return this.caps.refusal(row.cap, this.refusalWaitMs());
    return { granted: true, askedAt: started, stamp: row.stamp ?? undefined };
  }

  /**
   * What an order batch's statement carries to take its entries' slots with their records (one
   * round trip and one commit for both; see `OrderInserts`).
   */
  batchClaim(): SlotClaim {
    return {
      bucket: this.options.bucket,
      limit: this.limit,
      windowMs: this.windowMs,
      taskId: this.options.taskId,
      backfill: this.share.backfill(this.now()),
      caps: this.caps.store,
    };
  }

  /**
   * The answer of an order batch's statement sent at `askedAt`: the slot its granted entries
   * share (checked by the door before each send, as any slot), and why the others were refused.
   */
  settleBatch(row: BatchSlotRow, askedAt: number): { slot?: Slot; refusal: string } {
    if (row.used !== null)
      this.answered({ ...row, used: row.used, tasks: row.tasks ?? 1 }, row.granted);
    return {
      slot: row.stamp === null ? undefined : { granted: true, askedAt, stamp: row.stamp },
      refusal:
        row.cap === 'day'
          ? `ORDER_RATE: ${this.caps.why('day')}`
          : `ORDER_RATE: ${this.caps.why(row.cap)}; next slot in about ${row.retry_ms} ms`,
    };
  }

  /** Takes in the database's answer to a request that was granted `granted` slots. */
  private answered(
    row: {
      readonly retry_ms: number;
      readonly used: number;
      readonly tasks: number;
      readonly cap: OrderCap | null;
    },
    granted: number,
  ): void {
    const now = this.now();
    this.counts.databaseRoundTrips += 1;
    this.share.reported();
    this.tasksSeen = Math.max(1, row.tasks);
    this.lastUsed = row.used;
    this.lastUsedAt = now;
    this.peak = Math.max(this.peak, row.used);
    for (let i = 0; i < granted; i += 1) this.share.sentShared(now);
    if (row.cap === 'day') this.dayCapUntil = now + DAY_CAP_RECHECK_MS;
    if (row.retry_ms > 0 && now + row.retry_ms >= this.blockedUntil) {
      this.blockedUntil = now + row.retry_ms;
      this.blockedWhy = this.caps.why(row.cap);
    }
  }

  /**
   * An exit or cancel at the broker's daily cap is refused, loudly, not kept waiting: past the
   * cap the broker refuses every order message until the next IST day, so a wait in line would
   * hold every later exit behind it all day, and sending anyway would only collect refusals (and
   * repeated excess can get the app blocked, exits included). Refused, it reaches a person now:
   * the order manager records a risk event and the service logs an error, so the position is
   * closed by hand (or the count corrected) while there is still time.
   */
  private dailyCapReached(): never {
    const why = this.caps.why('day');
    this.options.onDailyCap?.(why);
    throw new DailyOrderCapError(why);
  }

  /** This task's share of the limit while the database is unreachable. */
  private localShare(): SlotAnswer {
    return this.share.take(this.now(), this.limit, this.tasksSeen);
  }

  private refuse(retryInMs: number, why: string): SlotAnswer {
    return { granted: false, retryInMs, why };
  }
}
