import * as z from 'zod';

/** The faults a test or the control API can arm; each counter is consumed request by request. */
export const faultRequestSchema = z
  .object({
    /** Added to every broker API answer (not to the control API). */
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    /** The next `count` broker API requests answer this status instead of being served. */
    failNext: z
      .object({
        count: z.number().int().min(1).max(10_000),
        status: z.union([
          z.literal(429),
          z.literal(500),
          z.literal(502),
          z.literal(503),
          z.literal(504),
        ]),
      })
      .optional(),
    /** The next `n` placements are accepted into the book but their responses never come. */
    hangPlacements: z.number().int().min(0).max(1_000).optional(),
  })
  .strict();

/** A fault request as the control API takes it. */
export type FaultRequest = z.infer<typeof faultRequestSchema>;

/** The armed faults. */
export class FaultState {
  latencyMs = 0;
  private failCount = 0;
  private failStatus = 429;
  private hangCount = 0;

  /** Arms faults; fields left out keep their current setting. */
  arm(request: FaultRequest): void {
    if (request.latencyMs !== undefined) this.latencyMs = request.latencyMs;
    if (request.failNext) {
      this.failCount = request.failNext.count;
      this.failStatus = request.failNext.status;
    }
    if (request.hangPlacements !== undefined) this.hangCount = request.hangPlacements;
  }

  /** Disarms everything. */
  clear(): void {
    this.latencyMs = 0;
    this.failCount = 0;
    this.hangCount = 0;
  }

  /** The status the current request must fail with, consuming one armed failure. */
  takeFailure(): number | undefined {
    if (this.failCount <= 0) return undefined;
    this.failCount -= 1;
    return this.failStatus;
  }

  /**
   * What a broker API request meets first: the status of an armed failure (answered in the
   * broker's own way), else the armed latency, waited out.
   */
  async admit(): Promise<number | undefined> {
    const failure = this.takeFailure();
    if (failure !== undefined) return failure;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    return undefined;
  }

  /** Whether the current placement's response must be withheld, consuming one. */
  takeHang(): boolean {
    if (this.hangCount <= 0) return false;
    this.hangCount -= 1;
    return true;
  }

  /** What is armed, for the control API. */
  snapshot() {
    return {
      latencyMs: this.latencyMs,
      failNext: { count: this.failCount, status: this.failStatus },
      hangPlacements: this.hangCount,
    };
  }
}
