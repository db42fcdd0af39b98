import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { sleep } from '../../services/common/retry';
import { PROJECT_ROOT } from './paths';

/** Preloaded into each task: it stops when the fleet's process ends (see the file). */
const TASK_GUARD = path.join(__dirname, 'task-guard.ts');

/** How to run one service of the local stack. */
export interface LocalServiceSpec {
  readonly name: string;
  /** TypeScript entry point, run with tsx. */
  readonly entry: string;
  /** The first task listens here, the next on +1, and so on. */
  readonly basePort: number;
  readonly desiredCount: number;
  /** Environment of one task. */
  env(taskId: string, port: number): Record<string, string>;
  /** Path answering 200 once the task serves. */
  readonly healthPath: string;
  /** SIGKILL after this long, as ECS does at its stop timeout. */
  readonly stopTimeoutMs: number;
}

export interface LocalTask {
  readonly id: string;
  readonly service: string;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly startedAt: string;
  status: 'PROVISIONING' | 'RUNNING' | 'STOPPING';
  /** The deployment (task definition revision) it runs. */
  readonly deployment: number;
}

export interface LocalServiceState {
  readonly name: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly deployment: number;
  /** COMPLETED when every task runs the latest deployment and counts match. */
  readonly rolloutState: 'COMPLETED' | 'IN_PROGRESS';
  readonly tasks: readonly LocalTask[];
  readonly events: readonly { at: string; message: string }[];
  readonly tags: Readonly<Record<string, string>>;
}

interface Managed {
  spec: LocalServiceSpec;
  desired: number;
  deployment: number;
  tasks: Map<string, { task: LocalTask; proc: ChildProcess }>;
  events: Array<{ at: string; message: string }>;
  tags: Record<string, string>;
  serial: number;
}

/**
 * The local stand-in for an ECS service: it keeps `desiredCount` tasks running (restarting any
 * that die), stops tasks with SIGTERM and SIGKILL after the stop timeout, and rolls a new
 * deployment task by task. The CLI and the procedures reach it through its HTTP API. Its tasks
 * do not outlive it: each stops as on SIGTERM once this process is gone (`task-guard.ts`).
 */
export class LocalFleet {
  private readonly services = new Map<string, Managed>();
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private readonly logs = new Map<string, WriteStream>();

  constructor(
    specs: readonly LocalServiceSpec[],
    private readonly logDir: string,
    private readonly onEvent: (service: string, message: string) => void = () => undefined,
  ) {
    for (const spec of specs) {
      this.services.set(spec.name, {
        spec,
        desired: spec.desiredCount,
        deployment: 1,
        tasks: new Map(),
        events: [],
        tags: {},
        serial: 0,
      });
    }
  }

  start(): void {
    this.timer = setInterval(() => this.reconcile(), 500);
    this.reconcile();
  }

  names(): string[] {
    return [...this.services.keys()];
  }

  describe(name: string): LocalServiceState {
    const s = this.service(name);
    const tasks = [...s.tasks.values()].map((t) => ({ ...t.task }));
    const running = tasks.filter((t) => t.status === 'RUNNING');
    const complete =
      running.length === s.desired &&
      tasks.every((t) => t.status === 'RUNNING' && t.deployment === s.deployment);
    return {
      name,
      desiredCount: s.desired,
      runningCount: running.length,
      pendingCount: tasks.filter((t) => t.status === 'PROVISIONING').length,
      deployment: s.deployment,
      rolloutState: complete ? 'COMPLETED' : 'IN_PROGRESS',
      tasks,
      events: s.events.slice(-20),
      tags: { ...s.tags },
    };
  }

  setDesiredCount(name: string, count: number): LocalServiceState {
    if (!Number.isInteger(count) || count < 0 || count > 10) {
      throw new Error(
        `desiredCount must be a whole number from 0 to 10, got ${JSON.stringify(count)}`,
      );
    }
    const s = this.service(name);
    this.event(s, `desired count ${s.desired} -> ${count}`);
    s.desired = count;
    this.reconcile();
    return this.describe(name);
  }

  /** A new deployment: tasks are replaced one at a time, each new one healthy before an old one stops. */
  forceNewDeployment(name: string): LocalServiceState {
    const s = this.service(name);
    s.deployment += 1;
    this.event(s, `deployment ${s.deployment} started`);
    this.reconcile();
    return this.describe(name);
  }

  tagResource(name: string, tags: Record<string, string>): void {
    Object.assign(this.service(name).tags, tags);
  }

  untagResource(name: string, keys: readonly string[]): void {
    const s = this.service(name);
    for (const k of keys) delete s.tags[k];
  }

  /** Stops every task (SIGTERM, then SIGKILL at the stop timeout) and waits for them. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    const exits: Promise<void>[] = [];
    for (const s of this.services.values())
      for (const t of s.tasks.values()) exits.push(this.stopTask(s, t.task.id));
    await Promise.all(exits);
    for (const log of this.logs.values()) log.end();
  }

  private service(name: string): Managed {
    const s = this.services.get(name);
    if (!s) throw new Error(`no service "${name}"; services: ${this.names().join(', ')}`);
    return s;
  }

  private reconcile(): void {
    if (this.stopping) return;
    for (const s of this.services.values()) {
      const live = [...s.tasks.values()].filter((t) => t.task.status !== 'STOPPING');
      const current = live.filter((t) => t.task.deployment === s.deployment);
      const old = live.filter((t) => t.task.deployment !== s.deployment);
      const currentRunning = current.filter((t) => t.task.status === 'RUNNING');
      // Start what the current deployment lacks (at most one new task at a time during a rollout).
      const missing = s.desired - current.length;
      const rolling = old.length > 0;
      if (missing > 0 && (!rolling || current.every((t) => t.task.status === 'RUNNING'))) {
        for (let i = 0; i < (rolling ? 1 : missing); i += 1) this.startTask(s);
      }
      // Retire an old task once a new one is healthy, or extra tasks beyond the desired count.
      if (rolling && (currentRunning.length > 0 || s.desired === 0)) {
        const [oldest] = old;
        if (oldest) void this.stopTask(s, oldest.task.id);
      } else if (current.length > s.desired) {
        const newestFirst = [...current].reverse();
        for (const t of newestFirst.slice(0, current.length - s.desired))
          void this.stopTask(s, t.task.id);
      }
    }
  }

  private startTask(s: Managed): void {
    const used = new Set([...s.tasks.values()].map((t) => t.task.port));
    let port = s.spec.basePort;
    while (used.has(port)) port += 1;
    s.serial += 1;
    const id = `${s.spec.name}-${s.serial}`;
    const log = this.log(s.spec.name);
    // stdin: a pipe the task's guard watches, so the task stops when this process ends.
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', TASK_GUARD, s.spec.entry],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...s.spec.env(id, port) },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    const task: LocalTask = {
      id,
      service: s.spec.name,
      pid: proc.pid ?? -1,
      port,
      url: `http://127.0.0.1:${port}`,
      startedAt: new Date().toISOString(),
      status: 'PROVISIONING',
      deployment: s.deployment,
    };
    s.tasks.set(id, { task, proc });
    this.event(s, `started task ${id} on port ${port} (deployment ${s.deployment})`);
    proc.on('exit', (code, signal) => {
      s.tasks.delete(id);
      if (task.status !== 'STOPPING')
        this.event(
          s,
          `task ${id} exited unexpectedly (code ${code}, signal ${signal}); replacing it`,
        );
      else this.event(s, `task ${id} stopped (code ${code}, signal ${signal})`);
    });
    void this.waitHealthy(s, task);
  }

  private async waitHealthy(s: Managed, task: LocalTask): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && s.tasks.has(task.id) && task.status === 'PROVISIONING') {
      try {
        const res = await fetch(`${task.url}${s.spec.healthPath}`);
        if (res.ok) {
          task.status = 'RUNNING';
          this.event(s, `task ${task.id} is healthy`);
          this.reconcile();
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
  }

  private stopTask(s: Managed, id: string): Promise<void> {
    const entry = s.tasks.get(id);
    if (!entry) return Promise.resolve();
    const { task, proc } = entry;
    if (task.status === 'STOPPING') return new Promise((r) => proc.once('exit', () => r()));
    task.status = 'STOPPING';
    this.event(s, `stopping task ${id} (SIGTERM)`);
    return new Promise((resolve) => {
      const kill = setTimeout(() => {
        this.event(s, `task ${id} did not stop within ${s.spec.stopTimeoutMs} ms: SIGKILL`);
        proc.kill('SIGKILL');
      }, s.spec.stopTimeoutMs);
      proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }

  private log(service: string): WriteStream {
    let stream = this.logs.get(service);
    if (!stream) {
      stream = createWriteStream(path.join(this.logDir, `${service}.log`), { flags: 'a' });
      this.logs.set(service, stream);
    }
    return stream;
  }

  private event(s: Managed, message: string): void {
    s.events.push({ at: new Date().toISOString(), message });
    if (s.events.length > 200) s.events.shift();
    this.onEvent(s.spec.name, message);
  }
}
