import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const TICKS_PER_SECOND = 100;

/** utime + stime of a process, in seconds (Linux /proc); 0 once it has ended. */
export function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command (which may hold spaces) start at the state, field 3.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of one PostgreSQL server: its postmaster (from `postmaster.pid` in its data
 * directory) and every process it forked (backends, WAL writer, checkpointer), and no other
 * server on the machine. Backends that ended since the last call are not counted: the bench's
 * pools keep theirs.
 */
export function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(
    readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  let total = cpuSecondsOf(postmaster);
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      if (Number(fields[1]) === postmaster) total += cpuSecondsOf(Number(pid));
    } catch {
      // the process ended
    }
  }
  return total;
}
