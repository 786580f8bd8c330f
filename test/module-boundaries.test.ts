import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';

/*
 * Which top-level folder may import which, checked on every import the TypeScript scanner finds in
 * every source file (type-only imports too: a loop of types is still a loop between folders).
 */

type Folder = 'lambdas' | 'lib' | 'cli' | 'bin' | 'local' | 'bench' | 'scripts';

/** The folders each folder may import; together they form no cycle. */
const MAY_IMPORT: Readonly<Record<Folder, readonly Folder[]>> = {
  // The functions' code, and the facts every other folder shares (contract, settings): framework-free.
  lambdas: [],
  // The CDK constructs.
  lib: ['lambdas'],
  // The operator CLI: never lib/, so it never loads aws-cdk-lib.
  cli: ['lambdas'],
  // The CDK app and the CLI's entry.
  bin: ['lib', 'cli', 'lambdas'],
  // The local pipeline runs the functions and writes the endpoints file the CLI reads.
  local: ['lambdas', 'cli'],
  // The bench runs the local pipeline and builds the CLI as `npm run build:cli` does; it
  // synthesizes the construct to count what a deploy creates (`npm run stack-size`).
  bench: ['lambdas', 'local', 'scripts', 'lib'],
  // Build and check tools: synth-variants.ts synthesizes the stack to diff a refactor of lib/;
  // build-package.ts bundles the functions with the settings lambdas/shared/settings.ts holds.
  scripts: ['lib', 'lambdas'],
};
const FOLDERS = Object.keys(MAY_IMPORT) as Folder[];

const folderOf = (path: string): Folder | undefined => FOLDERS.find((folder) => path.startsWith(`${folder}/`));

/** A file's relative imports, resolved to the paths of the files they name. */
type ImportGraph = Record<string, string[]>;

/** Every import from one folder into another, as `from -> to (file -> file)`. */
function crossings(graph: ImportGraph): Array<{ from: Folder; to: Folder; edge: string }> {
  return Object.entries(graph).flatMap(([file, imports]) => {
    const from = folderOf(file);
    return imports.flatMap((path) => {
      const to = folderOf(path);
      return from && to && from !== to ? [{ from, to, edge: `${file} -> ${path}` }] : [];
    });
  });
}

const violations = (graph: ImportGraph): string[] => crossings(graph).filter((c) => !MAY_IMPORT[c.from].includes(c.to)).map((c) => c.edge);

/** Whether the allowed imports contain a cycle (a folder that reaches itself). */
function hasCycle(graph: Readonly<Record<Folder, readonly Folder[]>>): boolean {
  const reachable = (from: Folder): Set<Folder> => {
    const seen = new Set<Folder>();
    const queue = [...graph[from]];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...graph[next]);
    }
    return seen;
  };
  return FOLDERS.some((folder) => reachable(folder).has(folder));
}

const ROOT = join(__dirname, '..');

/** The TypeScript files of a folder, by their paths from the project's root. */
function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(folder, file));
}

/** A file's relative imports (static, dynamic, type-only, re-exports), as the TypeScript scanner finds them, resolved to files. */
function importsOf(file: string, text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((i) => i.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => normalize(join(dirname(file), name)).replace(/\.js$/, '.ts'));
}

/** Every loop of files importing each other (each named once, from its first file in sort order). */
function fileCycles(graph: ImportGraph): string[] {
  const cycles = new Set<string>();
  const visit = (file: string, path: string[]): void => {
    for (const next of graph[file] ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) {
        const loop = path.slice(at);
        const start = loop.indexOf([...loop].sort()[0] as string);
        cycles.add([...loop.slice(start), ...loop.slice(0, start), loop[start]].join(' -> '));
      } else if (path.length < 12 && !done.has(next)) visit(next, [...path, next]);
    }
  };
  const done = new Set<string>();
  for (const file of Object.keys(graph).sort()) {
    visit(file, [file]);
    done.add(file);
  }
  return [...cycles].sort();
}

describe('imports between folders', () => {
  const graph: ImportGraph = Object.fromEntries(FOLDERS.flatMap(sources).map((file) => [file, importsOf(file, readFileSync(join(ROOT, file), 'utf8'))]));

  it('go only where each folder may import', () => {
    const seen = new Set(crossings(graph).map((c) => `${c.from} -> ${c.to}`));
    expect([...seen]).toEqual(expect.arrayContaining(['lib -> lambdas', 'cli -> lambdas', 'local -> cli', 'bench -> local']));
    expect(violations(graph)).toEqual([]);
  });

  it('form no loop: the allowed imports have no cycle', () => {
    expect(hasCycle(MAY_IMPORT)).toBe(false);
    expect(hasCycle({ ...MAY_IMPORT, cli: ['lambdas', 'local'] })).toBe(true);
  });

  it('form no loop between files either (a loop of types included)', () => {
    expect(fileCycles(graph)).toEqual([]);
    expect(fileCycles({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts'], 'c.ts': ['a.ts'] })).toEqual(['a.ts -> b.ts -> c.ts -> a.ts']);
  });

  it('fails on a file that imports a folder it may not, a type-only import included', () => {
    const file = 'cli/x.ts';
    const graph = { [file]: importsOf(file, "import type { LocalResources } from '../local/pipeline.js';\n") };
    expect(violations(graph)).toEqual(['cli/x.ts -> local/pipeline.ts']);
  });
});

/** A file's place in `lambdas/`: its room (a function's folder, or `shared`) and what kind of file it is there. */
function placeIn(file: string): { room: string; kind: 'entry' | 'handler' | 'adapter' | 'rules' } | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'lambdas' || parts.length < 3) return undefined;
  const kind = parts[2] === 'adapters' ? 'adapter' : parts[2] === 'index.ts' ? 'entry' : parts[2] === 'handler.ts' ? 'handler' : 'rules';
  return { room: parts[1] as string, kind };
}

/** Imports between rooms that are not into `shared/`, and any from `shared/` into a room. */
function roomCrossings(graph: ImportGraph): string[] {
  return Object.entries(graph).flatMap(([file, imports]) => {
    const from = placeIn(file);
    return imports.flatMap((path) => {
      const to = placeIn(path);
      return from && to && from.room !== to.room && (to.room !== 'shared' || from.room === 'shared') ? [`${file} -> ${path}`] : [];
    });
  });
}

describe('the functions as rooms', () => {
  const files = sources('lambdas');
  const graph: ImportGraph = Object.fromEntries(files.map((file) => [file, importsOf(file, readFileSync(join(ROOT, file), 'utf8'))]));
  const rooms = [...new Set(files.map((file) => placeIn(file)?.room))].sort();

  it('are the four functions and shared/, nothing loose beside them', () => {
    expect(rooms).toEqual(['pause-sending', 'process-feedback', 'shared', 'watch-reputation', 'write-suppressions']);
    expect(files.filter((file) => placeIn(file) === undefined)).toEqual([]);
    for (const room of rooms.filter((r) => r !== 'shared')) expect(files).toEqual(expect.arrayContaining([`lambdas/${room}/index.ts`, `lambdas/${room}/handler.ts`]));
  });

  it('import only their own files and shared/, and shared/ imports no room', () => {
    expect(roomCrossings(graph)).toEqual([]);
    expect(roomCrossings({ 'lambdas/shared/x.ts': ['lambdas/write-suppressions/ports.ts'], 'lambdas/pause-sending/y.ts': ['lambdas/watch-reputation/z.ts'] })).toHaveLength(2);
  });

  it('keep their rules and ports pure: no AWS SDK, no Powertools, no environment (only each entry reads it)', () => {
    const impure = files.flatMap((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const kind = placeIn(file)?.kind;
      const sdk = kind === 'rules' && ts.preProcessFile(text, true, true).importedFiles.some((i) => /^@aws-sdk\/|^@aws-lambda-powertools\//.test(i.fileName));
      const env = kind !== 'entry' && /process\.env|FromEnv\b/.test(text);
      return [...(sdk ? [`${file}: imports an SDK`] : []), ...(env ? [`${file}: reads the environment`] : [])];
    });
    expect(impure).toEqual([]);
  });
});
