import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '../src/memory-store.js';

describe('createMemoryStore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stores, finds by uid and user code, consumes and destroys', async () => {
    const store = createMemoryStore();
    const sessions = store.adapterFor('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'alice' }, 60);
    expect(await sessions.find('s1')).toMatchObject({ accountId: 'alice' });
    expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'alice' });
    await sessions.destroy('s1');
    expect(await sessions.find('s1')).toBeUndefined();
    expect(await sessions.findByUid('u1')).toBeUndefined();

    const codes = store.adapterFor('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1', userCode: 'ABCD' }, 60);
    expect(await codes.findByUserCode('ABCD')).toMatchObject({ grantId: 'g1' });
    await codes.consume('c1');
    expect((await codes.find('c1'))?.consumed).toEqual(expect.any(Number));
  });

  it('keeps models apart and returns copies', async () => {
    const store = createMemoryStore();
    await store.adapterFor('Client').upsert('x', { name: 'client' });
    expect(await store.adapterFor('Grant').find('x')).toBeUndefined();
    const found = await store.adapterFor('Client').find('x');
    found!.name = 'changed';
    expect(await store.adapterFor('Client').find('x')).toMatchObject({ name: 'client' });
  });

  it('expires entries after their lifetime', async () => {
    vi.useFakeTimers();
    const store = createMemoryStore();
    const tokens = store.adapterFor('AccessToken');
    await tokens.upsert('t1', { grantId: 'g' }, 10);
    await tokens.upsert('t2', { grantId: 'g' });
    vi.advanceTimersByTime(11_000);
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await tokens.find('t2')).toBeDefined();
    expect(store.size()).toBe(1);
  });

  it('revokes every token of a grant', async () => {
    const store = createMemoryStore();
    await store.adapterFor('AccessToken').upsert('a', { grantId: 'g1' }, 60);
    await store.adapterFor('RefreshToken').upsert('r', { grantId: 'g1' }, 60);
    await store.adapterFor('RefreshToken').upsert('other', { grantId: 'g2' }, 60);
    await store.adapterFor('Grant').revokeByGrantId('g1');
    expect(await store.adapterFor('AccessToken').find('a')).toBeUndefined();
    expect(await store.adapterFor('RefreshToken').find('r')).toBeUndefined();
    expect(await store.adapterFor('RefreshToken').find('other')).toBeDefined();
  });
});
