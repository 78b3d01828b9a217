import { describe, expect, it } from 'vitest';
import { compileCondition, expandPattern, parseCondition, requiredActions, type ConditionNode } from './condition.js';
import { SigmaCompileError } from './match.js';

/** Identifiers that test one letter of the input string: `a` holds for "ab", not for "b". */
function ids(...names: string[]): Map<string, (x: string) => boolean> {
  return new Map(names.map((n) => [n, (x: string) => x.split(',').includes(n)]));
}

/** Truth table of a condition over the given inputs: which inputs it holds for. */
function holds(condition: string, names: string[], inputs: string[]): string[] {
  const f = compileCondition(parseCondition(condition), ids(...names));
  return inputs.filter((x) => f(x));
}

describe('parseCondition', () => {
  it('binds not tighter than and, and and tighter than or', () => {
    expect(parseCondition('a or b and not c')).toEqual({
      op: 'or',
      args: [{ op: 'id', name: 'a' }, { op: 'and', args: [{ op: 'id', name: 'b' }, { op: 'not', arg: { op: 'id', name: 'c' } }] }],
    });
    expect(parseCondition('(a or b) and c')).toEqual({
      op: 'and',
      args: [{ op: 'or', args: [{ op: 'id', name: 'a' }, { op: 'id', name: 'b' }] }, { op: 'id', name: 'c' }],
    });
    expect(parseCondition('not not a')).toEqual({ op: 'not', arg: { op: 'not', arg: { op: 'id', name: 'a' } } });
    expect(parseCondition('a and b and c')).toEqual({ op: 'and', args: ['a', 'b', 'c'].map((name) => ({ op: 'id', name })) });
    expect(parseCondition('a or b or c')).toEqual({ op: 'or', args: ['a', 'b', 'c'].map((name) => ({ op: 'id', name })) });
  });

  it('reads keywords in any case, keeps identifier case, and ignores spacing around parentheses', () => {
    expect(parseCondition('  Sel_A AND(NOT Filter)  ')).toEqual({
      op: 'and',
      args: [{ op: 'id', name: 'Sel_A' }, { op: 'not', arg: { op: 'id', name: 'Filter' } }],
    });
  });

  it('reads quantified patterns', () => {
    expect(parseCondition('1 of sel*')).toEqual({ op: 'of', quantifier: 1, pattern: 'sel*' });
    expect(parseCondition('ALL of them')).toEqual({ op: 'of', quantifier: 'all', pattern: 'them' });
    expect(parseCondition('any of x_*')).toEqual({ op: 'of', quantifier: 1, pattern: 'x_*' });
    expect(parseCondition('12 of sel*')).toEqual({ op: 'of', quantifier: 12, pattern: 'sel*' });
    expect(parseCondition('2 Of sel* and not filter')).toEqual({
      op: 'and',
      args: [{ op: 'of', quantifier: 2, pattern: 'sel*' }, { op: 'not', arg: { op: 'id', name: 'filter' } }],
    });
  });

  it.each([
    ['', 'condition is empty'],
    ['   ', 'condition is empty'],
    ['sel | count() > 5', 'aggregation conditions ("| count() ...") are Sigma v1 and unsupported: write a correlation rule instead'],
    ['a and', 'condition "a and" ends too early'],
    ['(a or b', 'condition "(a or b" misses a closing parenthesis'],
    ['a )', 'condition "a )" has extra input after position 1'],
    [')', 'condition ")" has an unexpected ")"'],
    ['1 of', 'condition "1 of": "1 of" needs a name pattern or "them"'],
    ['1 of (a)', 'condition "1 of (a)": "1 of" needs a name pattern or "them"'],
    ['0 of sel*', 'condition "0 of sel*": expected "1 of" or "all of", got "0 of"'],
    ['some of sel*', 'condition "some of sel*": expected "1 of" or "all of", got "some of"'],
    ['x2 of sel*', 'condition "x2 of sel*": expected "1 of" or "all of", got "x2 of"'],
    ['2x of sel*', 'condition "2x of sel*": expected "1 of" or "all of", got "2x of"'],
    ['a and or b', 'condition "a and or b" has "or" where a search identifier was expected'],
    ['not and', 'condition "not and" has "and" where a search identifier was expected'],
    ['of', 'condition "of" has "of" where a search identifier was expected'],
    ['a b', 'condition "a b" has extra input after position 1'],
  ])('rejects %j: %s', (src, message) => {
    expect(() => parseCondition(src)).toThrow(SigmaCompileError);
    expect(() => parseCondition(src)).toThrow(message);
  });
});

describe('expandPattern', () => {
  const names = ['sel', 'sel_a', 'selection', 'filter', '_private', 'a.b', 'axb'];

  it('matches * as any run of characters, anchored at both ends', () => {
    expect(expandPattern('sel*', names)).toEqual(['sel', 'sel_a', 'selection']);
    expect(expandPattern('*a', names)).toEqual(['sel_a']);
    expect(expandPattern('sel', names)).toEqual(['sel']);
    expect(expandPattern('*', names)).toEqual(names);
  });

  it('takes other characters literally', () => {
    expect(expandPattern('a.b', names)).toEqual(['a.b']);
    expect(expandPattern('sel?', ['sel?', 'sela'])).toEqual(['sel?']);
  });

  it('expands "them" to every identifier not starting with _', () => {
    expect(expandPattern('them', names)).toEqual(['sel', 'sel_a', 'selection', 'filter', 'a.b', 'axb']);
  });
});

describe('compileCondition', () => {
  const inputs = ['', 'a', 'b', 'c', 'a,b', 'a,c', 'b,c', 'a,b,c'];

  it('evaluates and, or and not', () => {
    expect(holds('a and b', ['a', 'b'], inputs)).toEqual(['a,b', 'a,b,c']);
    expect(holds('a and b and c', ['a', 'b', 'c'], inputs)).toEqual(['a,b,c']);
    expect(holds('a and b and not c', ['a', 'b', 'c'], inputs)).toEqual(['a,b']);
    expect(holds('a or b', ['a', 'b'], inputs)).toEqual(['a', 'b', 'a,b', 'a,c', 'b,c', 'a,b,c']);
    expect(holds('not a', ['a'], inputs)).toEqual(['', 'b', 'c', 'b,c']);
    expect(holds('a or b and c', ['a', 'b', 'c'], inputs)).toEqual(['a', 'a,b', 'a,c', 'b,c', 'a,b,c']);
  });

  it('counts quantified patterns', () => {
    const names = ['a', 'b', 'c'];
    expect(holds('1 of them', names, inputs)).toEqual(inputs.slice(1));
    expect(holds('2 of them', names, inputs)).toEqual(['a,b', 'a,c', 'b,c', 'a,b,c']);
    expect(holds('3 of them', names, inputs)).toEqual(['a,b,c']);
    expect(holds('all of them', names, inputs)).toEqual(['a,b,c']);
    expect(holds('4 of them', names, inputs)).toEqual([]);
  });

  it('fails at compile time on an unknown identifier or an empty pattern, naming what there is', () => {
    expect(() => compileCondition(parseCondition('a and x'), ids('a', 'b'))).toThrow(
      new SigmaCompileError('condition names "x", which is not a search identifier (have: a, b)'),
    );
    expect(() => compileCondition(parseCondition('1 of sel*'), ids('a', 'b'))).toThrow(
      new SigmaCompileError('"sel*" matches no search identifier (have: a, b)'),
    );
  });
});

describe('requiredActions', () => {
  const actions: Record<string, Set<string> | undefined> = {
    login: new Set(['login']),
    auth: new Set(['login', 'logout', 'mfa']),
    share: new Set(['share', 'unshare']),
    any: undefined,
  };
  const names = Object.keys(actions);
  const required = (condition: string) => {
    const set = requiredActions(parseCondition(condition) as ConditionNode, (n) => actions[n], names);
    return set === undefined ? undefined : [...set].sort();
  };

  it('narrows on and, unites on or, and knows nothing under not or an unconstrained identifier', () => {
    expect(required('login')).toEqual(['login']);
    expect(required('auth and login')).toEqual(['login']);
    expect(required('login and auth')).toEqual(['login']);
    expect(required('any and share')).toEqual(['share', 'unshare']);
    expect(required('login or share')).toEqual(['login', 'share', 'unshare']);
    expect(required('login or any')).toBeUndefined();
    expect(required('not login')).toBeUndefined();
    expect(required('any')).toBeUndefined();
  });

  it('treats "all of" as and and "1 of" as or', () => {
    expect(required('all of them')).toEqual(['login']);
    expect(required('1 of auth*')).toEqual(['login', 'logout', 'mfa']);
    expect(required('1 of them')).toBeUndefined();
    expect(required('1 of s*')).toEqual(['share', 'unshare']);
  });
});
