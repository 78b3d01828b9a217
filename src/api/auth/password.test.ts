import { describe, expect, it } from 'vitest';
import { checkPassword, generatePassword, hashPassword, verifyPassword } from './password.js';
import { FAST_SCRYPT } from './testing.js';

describe('password hashes', () => {
  it('carry their parameters and a salt of their own, and verify only the password they were made from', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse battery staple', FAST_SCRYPT), hashPassword('correct horse battery staple', FAST_SCRYPT)]);
    expect(a).toMatch(/^scrypt\$10\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', a)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', b)).toBe(false);
  });

  it('use N=2^15 unless told otherwise, and still verify hashes made with other parameters', async () => {
    const strong = await hashPassword('p4ssphrase over twelve');
    expect(strong.startsWith('scrypt$15$8$1$')).toBe(true);
    expect(await verifyPassword('p4ssphrase over twelve', strong)).toBe(true);
  });

  it('answer false, not an error, without a hash or for one that is not ours', async () => {
    expect(await verifyPassword('anything', undefined)).toBe(false);
    expect(await verifyPassword('anything', '$2b$10$bcryptlooking')).toBe(false);
    expect(await verifyPassword('anything', 'scrypt$40$8$1$AAAA$BBBB')).toBe(false);
  });

  it('refuses passwords too short or absurdly long, and generates long random ones', () => {
    expect(() => checkPassword('short')).toThrow(/12 to 1024 characters, got 5/);
    expect(() => checkPassword('x'.repeat(1025))).toThrow(/got 1025/);
    expect(() => checkPassword('twelve chars')).not.toThrow();
    const generated = new Set(Array.from({ length: 20 }, generatePassword));
    expect(generated.size).toBe(20);
    for (const p of generated) expect(p).toMatch(/^[\w-]{24}$/);
  });
});
