import { describe, expect, it } from 'vitest';
import type { Api, SessionInfo } from '../src/app/api';
import type { SessionStore, StoredSession } from '../src/app/persist';
import { SessionKeeper } from '../src/app/session';

/** An Api whose session/create answers at once, counting calls. */
function fakeApi() {
  const api = {
    creates: 0,
    token: '',
    setToken(t: string) {
      api.token = t;
    },
    async createSession(): Promise<SessionInfo> {
      api.creates++;
      return { session_id: `s${api.creates}`, token: `t${api.creates}`, expires_at: new Date(Date.now() + 3_600_000).toISOString(), visitor_id: 'v1', returning: false };
    },
  };
  return api;
}

/** A SessionStore that keeps its value in memory. */
function memoryStore(initial: StoredSession | null = null) {
  let value = initial;
  return { mode: 'memory', load: () => value, save: (v: StoredSession | null) => void (value = v) } as unknown as SessionStore;
}

describe('SessionKeeper.sendDelay', () => {
  it('holds sends until the site minimum delay since the session was created has passed', async () => {
    let now = 1_000_000;
    const keeper = new SessionKeeper(fakeApi() as unknown as Api, memoryStore(), 'shop', () => '', () => now);
    await keeper.ensure();
    // Pressing Enter at once: the whole delay (plus a small margin for the server's clock).
    expect(keeper.sendDelay(1500)).toBeGreaterThanOrEqual(1500);
    expect(keeper.sendDelay(1500)).toBeLessThan(1600);
    now += 1000;
    const left = keeper.sendDelay(1500);
    expect(left).toBeGreaterThanOrEqual(500);
    expect(left).toBeLessThan(600);
    now += 600;
    expect(keeper.sendDelay(1500)).toBe(0);
    expect(keeper.sendDelay(0)).toBe(0);
  });

  it('remembers when a stored session was created, and a new conversation starts the clock again', async () => {
    let now = 5_000_000;
    const store = memoryStore();
    const api = fakeApi();
    const first = new SessionKeeper(api as unknown as Api, store, 'shop', () => '', () => now);
    await first.ensure();
    now += 200; // the page reloads
    const restored = new SessionKeeper(api as unknown as Api, store, 'shop', () => '', () => now);
    expect(restored.usable()?.sessionId).toBe('s1');
    expect(restored.sendDelay(1000)).toBeGreaterThanOrEqual(800);
    now += 5000;
    expect(restored.sendDelay(1000)).toBe(0);
    restored.forget();
    await restored.ensure();
    expect(api.creates).toBe(2);
    expect(restored.sendDelay(1000)).toBeGreaterThanOrEqual(1000);
  });

  it('does not hold a session stored before the widget kept creation times', () => {
    const old: StoredSession = { sessionId: 's0', token: 't0', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), visitorId: 'v', pending: null };
    const keeper = new SessionKeeper(fakeApi() as unknown as Api, memoryStore(old), 'shop', () => '');
    expect(keeper.sendDelay(1500)).toBe(0);
  });
});
