import { SAMPLE_NAMES, SDK_LINES, type SampleName, type SdkLine } from './start-sample.js';

/**
 * The command line of `pnpm demo`.
 *
 * @example
 * ```ts
 * const args: DemoArgs = { sample: 'express', sdk: 'v2', username: 'alice', verbose: false, help: false };
 * ```
 */
export interface DemoArgs {
  sample: SampleName;
  /** `--sdk`: the sample's entry, MCP SDK `v1` (`npm start`) or `v2` (`npm run start:v2`); unset means v1. */
  sdk?: SdkLine;
  username: string;
  verbose: boolean;
  help: boolean;
  /** `--dpop`: DPoP-bound tokens (RFC 9449) on the authorization server and the sample. */
  dpop?: true;
}

/**
 * Usage line of `pnpm demo`.
 *
 * @example
 * ```ts
 * console.error(DEMO_USAGE);
 * ```
 */
export const DEMO_USAGE = `usage: pnpm demo [--sample ${SAMPLE_NAMES.join('|')}] [--sdk ${SDK_LINES.join('|')}] [--user alice|bob] [--dpop] [--verbose]`;

/**
 * Parses `pnpm demo`'s arguments (`--sample`, `--sdk`, `--user`, `--dpop`, `--verbose`, `--help`; `--x=value`
 * or `--x value`; a lone `--` is ignored). Throws a `TypeError` naming the bad argument, with
 * the usage line.
 *
 * @example
 * ```ts
 * parseDemoArgs(['--sample', 'hono', '--sdk', 'v2']); // { sample: 'hono', sdk: 'v2', username: 'alice', verbose: false, help: false }
 * ```
 */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const result: DemoArgs = { sample: 'express', username: 'alice', verbose: false, help: false };
  const args = argv.filter((a) => a !== '--');
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = () => inline ?? args[++i];
    if (flag === '--sample') {
      const name = value();
      if (!(SAMPLE_NAMES as readonly string[]).includes(name ?? '')) {
        throw new TypeError(
          `--sample must be one of ${SAMPLE_NAMES.join(', ')} (got ${name ?? 'nothing'})\n${DEMO_USAGE}`,
        );
      }
      result.sample = name as SampleName;
    } else if (flag === '--sdk') {
      const line = value();
      if (!(SDK_LINES as readonly string[]).includes(line ?? '')) {
        throw new TypeError(
          `--sdk must be one of ${SDK_LINES.join(', ')} (got ${line ?? 'nothing'})\n${DEMO_USAGE}`,
        );
      }
      result.sdk = line as SdkLine;
    } else if (flag === '--user') {
      const name = value();
      if (!name || name.startsWith('--'))
        throw new TypeError(`--user needs a username\n${DEMO_USAGE}`);
      result.username = name;
    } else if (flag === '--dpop' && inline === undefined) {
      result.dpop = true;
    } else if (flag === '--verbose' || flag === '-v') {
      result.verbose = true;
    } else if (flag === '--help' || flag === '-h') {
      result.help = true;
    } else {
      throw new TypeError(`unknown argument ${arg}\n${DEMO_USAGE}`);
    }
  }
  return result;
}
