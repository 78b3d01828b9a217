import { expect, it } from 'vitest';
import { strangerLockout } from './service.js';
import { T0 } from './testing.js';

it('counts an unknown address like an account, and forgets the least recently tried beyond its bound', () => {
  const reserve = strangerLockout(2, 60_000, 2);
  expect(reserve('a@x.io', T0)).toEqual({ reserved: true, locks: false, lockedUntil: 0 });
  expect(reserve('a@x.io', T0)).toEqual({ reserved: true, locks: true, lockedUntil: T0 + 60_000 });
  expect(reserve('a@x.io', T0 + 59_999)).toEqual({ reserved: false, locks: false, lockedUntil: T0 + 60_000 });
  expect(reserve('a@x.io', T0 + 60_000)).toMatchObject({ reserved: true, locks: false });
  reserve('b@x.io', T0 + 60_000);
  reserve('a@x.io', T0 + 60_000); // a tried last: locks again, and b is now the least recent
  reserve('c@x.io', T0 + 60_000);
  expect(reserve('a@x.io', T0 + 60_001)).toMatchObject({ reserved: false });
  // b was forgotten when c came: its count starts over.
  expect(reserve('b@x.io', T0 + 60_001)).toEqual({ reserved: true, locks: false, lockedUntil: 0 });
});
