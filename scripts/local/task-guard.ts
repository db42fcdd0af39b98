/**
 * Preloaded into every task the local fleet starts (`--import`, see `LocalFleet`). The fleet holds
 * the write end of the task's stdin, so when the fleet's process ends in any way (Ctrl-C, a crash,
 * SIGKILL) the pipe closes and the task stops as on SIGTERM (it halts, cancels its working orders
 * and exits within its shutdown deadline) instead of trading on as an orphan nobody stops. ECS
 * needs no such guard: its agent stops the tasks itself.
 */
process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
// Not a reason to stay up: the task exits when its own work is done, pipe or not.
process.stdin.unref();
// Its logs went to the fleet's pipes: once those are gone, writes fail (EPIPE) and the stop goes on.
for (const out of [process.stdout, process.stderr]) out.on('error', () => undefined);
