import { describe, expect, it } from 'vitest';
import { runInBackground, takeBackgroundWork } from '../src/background-work.js';
import { takeBackgroundWork as fromAdapterEntry } from '../src/adapter.js';

function deferred() {
  let resolve!: (value: boolean) => void;
  const promise = new Promise<boolean>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('background work', () => {
  it('hands out nothing when no work is running', () => {
    expect(takeBackgroundWork()).toBeUndefined();
  });

  it('hands running work out once, as one promise that settles when all of it has', async () => {
    const a = deferred();
    const b = deferred();
    runInBackground(a.promise);
    runInBackground(b.promise);
    const work = fromAdapterEntry();
    expect(work).toBeInstanceOf(Promise);
    expect(takeBackgroundWork()).toBeUndefined();
    let settled = false;
    void work?.then(() => {
      settled = true;
    });
    a.resolve(true);
    await a.promise;
    await Promise.resolve();
    expect(settled).toBe(false);
    b.resolve(false);
    await expect(work).resolves.toBeUndefined();
  });

  it('forgets work that settled before anyone took it', async () => {
    const done = deferred();
    runInBackground(done.promise);
    done.resolve(true);
    await done.promise;
    await Promise.resolve();
    expect(takeBackgroundWork()).toBeUndefined();
  });
});
