/**
 * In-memory storage shared by every `Provider` instance one development server creates, so
 * clients, sessions, grants and tokens survive a signing-key rotation (which rebuilds the
 * provider). Data is lost when the process exits — this is a development server.
 */

type Payload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
};

interface Entry {
  payload: Payload;
  expiresAt: number;
}

/**
 * A key/value store with expiry that hands out `oidc-provider` adapters.
 *
 * @example
 * ```ts
 * const store = createMemoryStore();
 * const provider = new Provider(issuer, { adapter: store.adapterFor });
 * ```
 */
export interface MemoryStore {
  /** Adapter factory to pass as `oidc-provider`'s `adapter` option. */
  adapterFor: (model: string) => MemoryAdapter;
  /** Number of live entries (for diagnostics and tests). */
  size(): number;
}

/**
 * The adapter interface `oidc-provider` calls for one model (Session, Grant, AccessToken, …).
 *
 * @example
 * ```ts
 * const adapter = createMemoryStore().adapterFor('Client');
 * await adapter.upsert('id', { client_id: 'id' }, undefined);
 * ```
 */
export interface MemoryAdapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/**
 * Create an empty in-memory store.
 *
 * @example
 * ```ts
 * const store = createMemoryStore();
 * const adapter = store.adapterFor('Grant');
 * ```
 */
export function createMemoryStore(): MemoryStore {
  const entries = new Map<string, Entry>();
  const sessionsByUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const grantMembers = new Map<string, Set<string>>();
  let writes = 0;

  // Expired entries are dropped on read; a sweep every 500 writes keeps a long-running server
  // from growing without bound.
  const sweep = () => {
    const now = Date.now();
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
    for (const [grantId, members] of grantMembers) {
      for (const key of members) if (!entries.has(key)) members.delete(key);
      if (members.size === 0) grantMembers.delete(grantId);
    }
  };

  const read = (key: string): Payload | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  const adapterFor = (model: string): MemoryAdapter => {
    const keyOf = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        writes += 1;
        if (writes % 500 === 0) sweep();
        const key = keyOf(id);
        const expiresAt =
          typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
        entries.set(key, { payload: structuredClone(payload), expiresAt });
        if (model === 'Session' && typeof payload.uid === 'string') {
          sessionsByUid.set(payload.uid, id);
        }
        if (typeof payload.userCode === 'string') {
          byUserCode.set(payload.userCode, id);
        }
        if (GRANTABLE.has(model) && typeof payload.grantId === 'string') {
          const members = grantMembers.get(payload.grantId) ?? new Set<string>();
          members.add(key);
          grantMembers.set(payload.grantId, members);
        }
      },
      async find(id) {
        const payload = read(keyOf(id));
        return payload ? structuredClone(payload) : undefined;
      },
      async findByUid(uid) {
        const id = sessionsByUid.get(uid);
        return id === undefined ? undefined : this.find(id);
      },
      async findByUserCode(userCode) {
        const id = byUserCode.get(userCode);
        return id === undefined ? undefined : this.find(id);
      },
      async consume(id) {
        const entry = entries.get(keyOf(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        const key = keyOf(id);
        const payload = read(key);
        entries.delete(key);
        if (payload?.uid !== undefined && sessionsByUid.get(payload.uid) === id) {
          sessionsByUid.delete(payload.uid);
        }
      },
      async revokeByGrantId(grantId) {
        for (const key of grantMembers.get(grantId) ?? []) entries.delete(key);
        grantMembers.delete(grantId);
      },
    };
  };

  return {
    adapterFor,
    size() {
      let count = 0;
      for (const key of entries.keys()) if (read(key)) count += 1;
      return count;
    },
  };
}
