import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const OPS = path.join(__dirname, '../../services/ops');

/** Folders (and files) of services/ops and what each may not import: nothing above it. */
const BELOW_PROCEDURES = [
  'checks',
  'export',
  'fleet',
  'platform',
  'records',
  'reports',
  'steps',
  'invocations.ts',
];
const ABOVE = ['procedures', 'actions', 'dispatch.ts'];

function sources(where: string): string[] {
  if (!statSync(where).isDirectory()) return [where];
  return readdirSync(where).flatMap((name) => sources(path.join(where, name)));
}

/** The files under services/ops that `file` imports (relative imports only). */
function opsImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)]
    .map((m) => path.relative(OPS, path.resolve(path.dirname(file), m[1] as string)))
    .filter((target) => !target.startsWith('..'));
}

describe('services/ops layering', () => {
  it.each(BELOW_PROCEDURES)('%s imports no procedure, action table or dispatch', (part) => {
    const upward = sources(path.join(OPS, part)).flatMap((file) =>
      opsImports(file)
        .filter((target) =>
          ABOVE.some(
            (above) => target === above.replace(/\.ts$/, '') || target.startsWith(`${above}/`),
          ),
        )
        .map((target) => `${path.relative(OPS, file)} -> ${target}`),
    );

    expect(upward).toEqual([]);
  });
});
