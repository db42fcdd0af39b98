import { readFileSync } from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};

describe('the runtime the tests run on', () => {
  it('is the Node major that production runs (Lambda nodejs24.x, the node:24 image)', () => {
    const major = Number(process.versions.node.split('.')[0]);
    const pinned = Number(pkg.devDependencies.node?.split('.')[0]);

    expect(pinned).toBe(24);
    expect(major).toBe(pinned);
    expect(pkg.engines.node).toBe('>=24');
  });
});
