import { BatchWriter } from '../../services/common/batch-writer';

describe('BatchWriter', () => {
  it('holds what arrives while a batch is being written for the next one, in order', async () => {
    const written: number[][] = [];
    let release: () => void = () => undefined;
    const writer = new BatchWriter<number>({
      flush: async (items) => {
        written.push([...items]);
        if (written.length === 1) await new Promise<void>((r) => (release = r));
      },
      maxDelayMs: 1,
      onError: () => undefined,
    });
    writer.add(1);
    const firstWritten = writer.drain();
    // While the first batch is in flight, later items wait together rather than queue one by one.
    for (let i = 2; i <= 5; i += 1) writer.add(i);
    await new Promise((r) => setTimeout(r, 20));
    expect(written).toEqual([[1]]);

    release();
    await firstWritten;
    await writer.drain();

    expect(written).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('hands a failed batch to onError and goes on with the next', async () => {
    const failed: number[][] = [];
    const written: number[][] = [];
    const writer = new BatchWriter<number>({
      flush: async (items) => {
        if (items.includes(1)) throw new Error('database refused');
        written.push([...items]);
      },
      maxItems: 2,
      onError: (_error, items) => failed.push([...items]),
    });
    for (let i = 1; i <= 5; i += 1) writer.add(i);
    await writer.drain();

    expect(failed).toEqual([[1, 2]]);
    expect(written).toEqual([[3, 4], [5]]);
  });
});

describe('BatchWriter under a steady stream', () => {
  it('drains what was added before the call, however much keeps arriving', async () => {
    const written: number[] = [];
    const writer = new BatchWriter<number>({
      flush: async (items) => {
        written.push(...items);
        await new Promise((r) => setTimeout(r, 2));
      },
      maxDelayMs: 1,
      onError: () => undefined,
    });
    let n = 0;
    let streaming = true;
    const stream = setInterval(() => {
      n += 1;
      writer.add(n);
    }, 1);
    // The stream ends on its own: a drain that waited for it would still end, but too late.
    const end = setTimeout(() => {
      clearInterval(stream);
      streaming = false;
    }, 2000);
    await new Promise((r) => setTimeout(r, 20));
    const before = n;

    await writer.drain();

    expect(streaming).toBe(true);
    clearInterval(stream);
    clearTimeout(end);
    expect(written.slice(0, before)).toEqual(Array.from({ length: before }, (_, i) => i + 1));
    await writer.drain();
    expect(written).toHaveLength(n);
  });
});
