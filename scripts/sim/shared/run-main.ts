/**
 * Runs a broker simulator on its own (`node --import tsx scripts/sim/<broker>/main.ts`): prints
 * its endpoints as one JSON line and stops it on SIGTERM or SIGINT.
 */
export function runSimulatorMain<S extends { stop(): Promise<void> }>(
  name: string,
  start: () => Promise<S>,
  endpoints: (simulator: S) => Record<string, string>,
): void {
  start().then(
    (simulator) => {
      process.stdout.write(`${JSON.stringify(endpoints(simulator))}\n`);
      const shutdown = () => {
        simulator.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    },
    (error: unknown) => {
      process.stderr.write(`${name} simulator failed to start: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
