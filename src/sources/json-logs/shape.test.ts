import { describe, expect, it } from 'vitest';
import { countKeys, findDuplicateKey, scanJson } from './shape.js';

describe('scanJson', () => {
  it('counts keys outside strings, escaped quotes and backslashes included', () => {
    expect(scanJson('{"a":"x:y","b\\"c":{"d":"\\\\"},"e":[1,{"f":2}]}', 64)).toBe(5);
    expect(scanJson('[]', 64)).toBe(0);
  });

  it('reports where nesting first passes the limit', () => {
    expect(scanJson('{"a":[[1]]}', 3)).toBe(1);
    expect(scanJson('{"a":[[[1]]]}', 3)).toBe(-(7 + 1));
  });
});

describe('countKeys', () => {
  it('counts every object key in a parsed value, __proto__ included', () => {
    expect(countKeys(JSON.parse('{"a":1,"__proto__":{"b":2},"c":[{"d":1},[{"e":2}]]}') as object)).toBe(6);
  });
});

describe('findDuplicateKey', () => {
  it('finds nothing in objects whose keys differ only across objects', () => {
    expect(findDuplicateKey('{"a":{"a":1},"b":[{"a":1},{"a":2}]}')).toBeUndefined();
  });

  it('names odd keys in quotes', () => {
    expect(findDuplicateKey('{"x y":{"a b":1,"a b":2}}')).toEqual({ key: 'a b', path: '"x y"."a b"' });
  });
});
