import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');

/** The runtime folders: what runs in the service images, the Lambdas and the CLI. */
const RUNTIME = ['services', 'lambdas', 'scripts'];
/** The infrastructure folders: the CDK app. */
const INFRA = ['bin', 'lib'];

interface Import {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  /** The top folder of the imported file, for a relative import; undefined for a package. */
  readonly folder?: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(relative);
    return /\.(ts|cjs|mjs|js)$/.test(entry.name) ? [relative] : [];
  });
}

// import ... from '...', export ... from '...', import '...', import('...'), require('...')
const IMPORT =
  /(?:\b(?:import|export)\s[^'";]*?\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

/** Every import of the files under `dirs`, with the top folder each relative one reaches. */
function importsOf(dirs: readonly string[]): Import[] {
  return dirs.flatMap((dir) =>
    sourceFiles(dir).flatMap((file) => {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      return [...text.matchAll(IMPORT)].map((match) => {
        const specifier = match[1] as string;
        const line = text.slice(0, match.index).split('\n').length;
        if (!specifier.startsWith('.')) return { file, line, specifier };
        const target = path.normalize(path.join(path.dirname(file), specifier));
        return { file, line, specifier, folder: target.split(path.sep)[0] };
      });
    }),
  );
}

const describeImport = (i: Import) => `${i.file}:${i.line} imports '${i.specifier}'`;

describe('layering', () => {
  it('finds the imports of every folder it checks', () => {
    // Arrange / Act
    const imports = importsOf([...INFRA, 'contract', ...RUNTIME]);

    // Assert: a scanner that reads nothing would pass every rule below.
    expect(imports.filter((i) => i.folder === 'contract').length).toBeGreaterThan(50);
    expect(imports.filter((i) => i.file.startsWith('lib')).length).toBeGreaterThan(50);
  });

  it('keeps the infrastructure (bin/, lib/) off runtime code', () => {
    // Act
    const wrong = importsOf(INFRA).filter((i) => i.folder && RUNTIME.includes(i.folder));

    // Assert
    expect(wrong.map(describeImport)).toEqual([]);
  });

  it('keeps the runtime (services/, lambdas/, scripts/) off the infrastructure', () => {
    // Act
    const wrong = importsOf(RUNTIME).filter((i) => i.folder && INFRA.includes(i.folder));

    // Assert
    expect(wrong.map(describeImport)).toEqual([]);
  });

  it('keeps contract/ at the bottom: other contract files and zod only', () => {
    // Act
    const wrong = importsOf(['contract']).filter((i) =>
      i.folder ? i.folder !== 'contract' : i.specifier !== 'zod',
    );

    // Assert
    expect(wrong.map(describeImport)).toEqual([]);
  });
});
