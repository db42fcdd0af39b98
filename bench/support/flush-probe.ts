import { Worker } from 'node:worker_threads';

// A worker thread (its blocking calls stall nothing else) writing 8 KB and flushing it with
// fdatasync every 20 ms: what one synchronous commit's WAL flush costs on this disk right now.
// Fifty flushes a second add little to the disk's load (the floor flushes a thousand at 1,000/s).
const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const fd = fs.openSync(workerData.file, 'w');
const block = Buffer.alloc(8192, 1);
const latencies = [];
let stop = false;
parentPort.on('message', () => { stop = true; });
let n = 0;
const step = () => {
  if (stop) {
    fs.closeSync(fd);
    fs.rmSync(workerData.file, { force: true });
    parentPort.postMessage(latencies);
    return;
  }
  fs.writeSync(fd, block, 0, block.length, (n++ % 512) * block.length);
  const t = performance.now();
  fs.fdatasyncSync(fd);
  latencies.push(performance.now() - t);
  setTimeout(step, 20);
};
step();
`;

/**
 * Samples the latency of a data flush (write + fdatasync of 8 KB, every 20 ms) on the disk that
 * holds `file` until `stop`, which answers the latencies (ms). A synchronous commit waits for such
 * a flush: a stall of the disk stalls every order committed meanwhile, and the floor's too.
 */
export function startFlushProbe(file: string): { stop(): Promise<number[]> } {
  const worker = new Worker(PROBE, { eval: true, workerData: { file } });
  const done = new Promise<number[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      worker.postMessage('stop');
      const latencies = await done;
      await worker.terminate();
      return latencies;
    },
  };
}
