import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat from the state on (field 3), or [] once it has ended. */
function statFields(pid: number | string): string[] {
  try {
    // The command (field 2) may hold spaces: the fields proper start after its ')'.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  } catch {
    return [];
  }
}

/** utime + stime of a process, in seconds (Linux /proc); 0 once it has ended. */
export function cpuSecondsOf(pid: number): number {
  const f = statFields(pid);
  return f.length === 0 ? 0 : (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds of one PostgreSQL server and no other on the machine: its postmaster (from
 * `postmaster.pid` in its data directory), the processes it runs now (backends, WAL writer,
 * checkpointer), and those that ended (cutime + cstime of the postmaster, which reaps them).
 */
export function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(
    readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  const own = statFields(postmaster);
  let ticks = own.slice(11, 15).reduce((sum, x) => sum + Number(x), 0);
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const f = statFields(pid);
    if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICKS_PER_SECOND;
}
