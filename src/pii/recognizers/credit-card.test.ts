import { describe, expect, it } from 'vitest';
import { values, spots } from '../testing.js';
import { cardIssuer, creditCardRecognizer, luhnValid } from './credit-card.js';

// Test numbers published by Stripe (docs.stripe.com/testing) and PayPal (developer.paypal.com sandbox cards).
const STRIPE = [
  ['4242424242424242', 'visa'],
  ['4000056655665556', 'visa'],
  ['5555555555554444', 'mastercard'],
  ['2223003122003222', 'mastercard'],
  ['5200828282828210', 'mastercard'],
  ['378282246310005', 'amex'],
  ['371449635398431', 'amex'],
  ['6011111111111117', 'discover'],
  ['6011000990139424', 'discover'],
  ['3056930009020004', 'diners'],
  ['36227206271667', 'diners'],
  ['3566002020360505', 'jcb'],
  ['6200000000000005', 'unionpay'],
  ['6759649826438453', 'maestro'],
  ['4222222222222', 'visa'],
] as const;

describe('credit card recognizer', () => {
  it.each(STRIPE)('finds %s as %s (prefix, length, Luhn)', (number, issuer) => {
    expect(cardIssuer(number)).toBe(issuer);
    expect(luhnValid(number)).toBe(true);
    expect(spots(creditCardRecognizer, `Paid with ${number} on file.`)).toEqual([{ type: 'CREDIT_CARD', value: number, score: 0.8, pattern: `${issuer}-${number.length}` }]);
  });

  it('finds grouped numbers with one consistent separator, scored higher than bare ones', () => {
    const text = 'PayPal sandbox: 4111 1111 1111 1111, 5105-1051-0510-5100, Amex 3782 822463 10005.';
    expect(spots(creditCardRecognizer, text).map((s) => [s.value, s.score])).toEqual([
      ['4111 1111 1111 1111', 0.9],
      ['5105-1051-0510-5100', 0.9],
      ['3782 822463 10005', 0.9],
    ]);
  });

  it('rejects near misses: Luhn failures, unknown prefixes, wrong lengths, mixed separators, one digit repeated', () => {
    const text = [
      '4111111111111112', // Luhn fails
      '1234567812345670', // passes Luhn, no issuer starts with 1
      '37828224631000', // Amex prefix, 14 digits
      '4111 1111-1111 1111', // mixed separators
      '0000 0000 0000 0000',
      '4111111111111111111111', // 22 digits: an id, not a card
    ].join(' | ');
    expect(values(creditCardRecognizer, text)).toEqual([]);
  });

  it('ignores order and tracking numbers, UUIDs, git hashes and timestamps', () => {
    const text = [
      'Order ORD4111111111111111 shipped',
      'UPS 1Z999AA10123456784',
      'request 4111a111-1111-1111-1111-111111111111',
      'commit 4111111111111111a4c1d0b9e8f7a6b5c4d3e2f1',
      'at 1704412800123 ms',
      'USPS 9400111899223197428490',
    ].join('\n');
    expect(values(creditCardRecognizer, text)).toEqual([]);
  });

  it('finds Dankort (5019) cards, and UATP airline cards (1, fifteen digits) only weakly until a card word is near', () => {
    // Test numbers from the datatrans.ch list (as used in Presidio's tests).
    expect(spots(creditCardRecognizer, 'Dankort 5019717010103742')).toEqual([{ type: 'CREDIT_CARD', value: '5019717010103742', score: 0.8, pattern: 'dankort-16' }]);
    expect(spots(creditCardRecognizer, 'AirPlus 122000000000003')).toEqual([{ type: 'CREDIT_CARD', value: '122000000000003', score: 0.3, pattern: 'uatp-15' }]);
    // Fifteen digits from 1 failing Luhn, and sixteen from 1 passing it, are no card.
    expect(values(creditCardRecognizer, '122000000000004 1234567812345670')).toEqual([]);
    expect(cardIssuer('5019717010103')).toBeUndefined();
  });

  it('does not read a card out of a longer dash-joined identifier', () => {
    expect(values(creditCardRecognizer, 'ref 4111-1111-1111-1111-2222')).toEqual([]);
  });
  it('takes no card from the digits of an IBAN whose check digits fail (a JCB-prefixed tail passing Luhn by chance)', () => {
    expect(values(creditCardRecognizer, 'IBAN DE61 3563 6788 0949 2274 23')).toEqual([]);
    expect(values(creditCardRecognizer, 'ref 3566 0020 2036 0505')).toEqual(['3566 0020 2036 0505']);
  });
});
