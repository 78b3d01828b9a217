/** Stores that each break one clause on purpose, to show the suite catches them and says which clause. */
import type { Store } from '../../../src/core/store.js';
import type { StoreHarness } from './suite.js';

/** A real store with some methods replaced; the rest are the store's own, bound to it. */
function overriding(store: Store, over: (real: Store) => Partial<Store>): Store {
  const replaced = over(store);
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop in replaced) return replaced[prop as keyof Store];
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function breaking(h: StoreHarness, over: (real: Store) => Partial<Store>): StoreHarness {
  return { ...h, open: async (o) => overriding(await h.open(o), over) };
}

/** Hands out due deliveries newest first: retried deliveries would starve behind fresh ones. */
export const claimsNewestFirst = (h: StoreHarness): StoreHarness =>
  breaking(h, (real) => ({
    claimDeliveries: async (dueBy, limit, lease) => (await real.claimDeliveries(dueBy, limit, lease)).reverse(),
  }));

/** Picks arbitrary due deliveries (the newest) and sorts only what it picked: the survivor a sorted comparison lets through. */
export const claimsNewestSorted = (h: StoreHarness): StoreHarness =>
  breaking(h, (real) => ({
    claimDeliveries: async (dueBy, limit, lease) => {
      const all = await real.claimDeliveries(dueBy, Number.MAX_SAFE_INTEGER, lease);
      const keep = all.slice(-limit);
      // Give the rest back at once, as if never claimed.
      for (const d of all.slice(0, all.length - keep.length)) await real.retryDelivery(d.id, d.nextAttemptAt, d.lastError ?? '');
      return keep;
    },
  }));

/** Forgets detector state: puts are dropped, and so is the state a batch carries. */
export const forgetsState = (h: StoreHarness): StoreHarness =>
  breaking(h, (real) => ({
    putState: async () => undefined,
    commitBatch: async ({ state: _dropped, ...batch }) => real.commitBatch(batch),
  }));

/** Deletes on a dry run: `purge --dry-run` would destroy what it was asked only to count. */
export const purgesOnDryRun = (h: StoreHarness): StoreHarness =>
  breaking(h, (real) => ({
    purge: async (before) => real.purge(before),
  }));
