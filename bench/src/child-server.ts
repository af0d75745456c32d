/**
 * The life of a benchmark server in its child process: it reports `{ type: 'ready', port }`
 * over IPC once listening, and exits when its parent goes away or when it cannot start.
 */
export function runChildServer(start: () => Promise<number>, what: string): void {
  process.on('disconnect', () => process.exit(0));
  start().then(
    (port) => process.send?.({ type: 'ready', port }),
    (error: unknown) => {
      console.error(`${what} failed to start:`, (error as Error).message);
      process.exit(1);
    },
  );
}
