/** In-memory SQLite stores for tests: opened migrated, closed together after each test. */
import type { Store } from '../core/store.js';
import { openStore } from './index.js';

const opened: Store[] = [];

/** A fresh in-memory SQLite store; call closeMemoryStores() in afterEach. */
export async function memoryStore(): Promise<Store> {
  const s = await openStore({ dialect: 'sqlite', path: ':memory:' });
  opened.push(s);
  return s;
}

export async function closeMemoryStores(): Promise<void> {
  for (const s of opened.splice(0)) await s.close();
}
