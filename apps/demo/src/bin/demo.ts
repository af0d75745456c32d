import { DEMO_USAGE, parseDemoArgs } from '../parse-demo-args.js';
import { runDemo } from '../run-demo.js';

async function main(): Promise<number> {
  let args: ReturnType<typeof parseDemoArgs>;
  try {
    args = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (args.help) {
    console.log(DEMO_USAGE);
    return 0;
  }
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  try {
    await runDemo({
      sample: args.sample,
      ...(args.sdk ? { sdk: args.sdk } : {}),
      username: args.username,
      ...(args.dpop ? { dpop: true } : {}),
      verbose: args.verbose,
      color,
    });
    return 0;
  } catch {
    // runDemo printed what failed and stopped the servers.
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
