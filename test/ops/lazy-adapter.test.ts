import { lazyAdapter } from '../../services/ops/platform/aws/aws-context';

interface Store {
  readonly kind: string;
  get(key: string): Promise<string>;
}

describe('lazyAdapter: an adapter (and its SDK client) loaded on first call', () => {
  it('loads nothing until a method is called, then loads once and forwards every call', async () => {
    let loads = 0;
    const store = lazyAdapter<Store>(
      async () => {
        loads += 1;
        return { kind: 'real', get: async (key: string) => `value of ${key}` };
      },
      { kind: 'ssm' },
    );

    expect(store.kind).toBe('ssm');
    expect(loads).toBe(0);
    // Awaiting the adapter itself must not call into it.
    expect(await Promise.resolve(store)).toBe(store);
    expect(loads).toBe(0);

    expect(await Promise.all([store.get('a'), store.get('b')])).toEqual([
      'value of a',
      'value of b',
    ]);
    expect(await store.get('c')).toBe('value of c');
    expect(loads).toBe(1);
  });

  it('tries the load again after it failed, and passes the failure to the caller', async () => {
    let attempts = 0;
    const store = lazyAdapter<Store>(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('module not found');
      return { kind: 'real', get: async () => 'ok' };
    });

    await expect(store.get('a')).rejects.toThrow('module not found');
    expect(await store.get('a')).toBe('ok');
    expect(attempts).toBe(2);
  });
});
