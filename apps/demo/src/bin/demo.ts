import { SAMPLE_NAMES, type SampleName } from '../start-sample.js';
import { runDemo } from '../run-demo.js';

const usage = `usage: pnpm demo [--sample ${SAMPLE_NAMES.join('|')}] [--user alice|bob] [--verbose]`;

function parseArgs(argv: string[]): { sample: SampleName; username: string; verbose: boolean } {
  let sample: SampleName = 'express';
  let username = 'alice';
  let verbose = false;
  const args = argv.filter((a) => a !== '--');
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const [flag, inline] = arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = () => inline ?? args[++i];
    if (flag === '--sample') {
      const name = value();
      if (!(SAMPLE_NAMES as readonly string[]).includes(name ?? '')) {
        throw new Error(
          `--sample must be one of ${SAMPLE_NAMES.join(', ')} (got ${name ?? 'nothing'})\n${usage}`,
        );
      }
      sample = name as SampleName;
    } else if (flag === '--user') {
      username = value() ?? '';
      if (!username) throw new Error(`--user needs a username\n${usage}`);
    } else if (flag === '--verbose' || flag === '-v') {
      verbose = true;
    } else if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    } else {
      throw new Error(`unknown argument ${arg}\n${usage}`);
    }
  }
  return { sample, username, verbose };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  try {
    await runDemo({ ...args, color });
    return 0;
  } catch {
    // runDemo already printed what failed.
    return 1;
  }
}

// Ctrl-C: exiting runs the exit hook that kills the sample's process group.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\ninterrupted (${signal}); stopping the servers`);
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo crashed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
