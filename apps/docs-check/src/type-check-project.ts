import ts from 'typescript';
import type { FixtureFile, FixtureProject } from './fixture-project.js';

/** A compiler error, placed in the Markdown file the code came from. */
export interface BlockDiagnostic {
  /** The generated file's block, or `undefined` for an error outside any block. */
  block: FixtureFile['block'] | undefined;
  /** `README.md:line:column` for a block (prelude lines map to the prelude comment). */
  location: string;
  /** `TS2304`, … */
  code: string;
  message: string;
}

/** Maps a 0-based line of a generated file back to a 1-based line of its README. */
function readmeLine(file: FixtureFile, line: number): number {
  if (line < file.preludeLines) return (file.block.preludeLine ?? file.block.line) + line;
  return file.block.line + line - file.preludeLines;
}

/**
 * Type-checks a {@link FixtureProject} as `tsc --noEmit -p <dir>` would (config errors
 * included) and returns every error, each placed at its README path and line, in README order.
 *
 * @example
 * ```ts
 * for (const d of typeCheckProject(project)) console.log(`${d.location} ${d.code} ${d.message}`);
 * ```
 */
export function typeCheckProject(project: FixtureProject): BlockDiagnostic[] {
  const configErrors: ts.Diagnostic[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(project.tsconfig, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => configErrors.push(diagnostic),
  });
  if (!parsed) return configErrors.map((d) => toBlockDiagnostic(project, d));
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  return [...configErrors, ...parsed.errors, ...ts.getPreEmitDiagnostics(program)]
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => toBlockDiagnostic(project, d))
    .sort(byLocation);
}

/** Orders diagnostics by file, then line and column as numbers. */
function byLocation(a: BlockDiagnostic, b: BlockDiagnostic): number {
  const [fileA = '', ...restA] = a.location.split(':');
  const [fileB = '', ...restB] = b.location.split(':');
  if (fileA !== fileB) return fileA < fileB ? -1 : 1;
  const [lineA = 0, columnA = 0] = restA.map(Number);
  const [lineB = 0, columnB = 0] = restB.map(Number);
  return lineA - lineB || columnA - columnB;
}

function toBlockDiagnostic(project: FixtureProject, diagnostic: ts.Diagnostic): BlockDiagnostic {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const code = `TS${diagnostic.code}`;
  const source = diagnostic.file;
  if (!source || diagnostic.start === undefined) {
    return { block: undefined, location: project.tsconfig, code, message };
  }
  const { line, character } = source.getLineAndCharacterOfPosition(diagnostic.start);
  const file = project.files.find((f) => f.path === source.fileName);
  if (!file) {
    return {
      block: undefined,
      location: `${source.fileName}:${line + 1}:${character + 1}`,
      code,
      message,
    };
  }
  return {
    block: file.block,
    location: `${file.block.file}:${readmeLine(file, line)}:${character + 1}`,
    code,
    message,
  };
}

/**
 * One line per diagnostic, `README.md:12:5 TS2304 Cannot find name 'app'.`, for test output.
 *
 * @example
 * ```ts
 * expect(diagnostics.map(formatDiagnostic)).toEqual([]);
 * ```
 */
export function formatDiagnostic(diagnostic: BlockDiagnostic): string {
  return `${diagnostic.location} ${diagnostic.code} ${diagnostic.message}`;
}
