/**
 * How node runs the trading service, wherever it runs: the ECS task (its NODE_OPTIONS), the local
 * stack and the benchmarks' services.
 *
 * `--max-semi-space-size=32` (MB): a young generation larger than node's default. The order path makes
 * short-lived objects for every order (request, order, statement parameters, fills); with the
 * default, at 1,000 orders a second, scavenges ran several times a second and promoted enough to
 * bring major collections of 5-11 ms into the order path. Measured on the order-path bench at
 * 1,000/s, five runs each: p50 3.8 ms against 5.3, p99 median 15.8 ms against 20.6. It costs
 * at most 64 MB of the task's memory (1-2 GB by stage).
 */
export const TRADING_NODE_OPTIONS = '--max-semi-space-size=32';
