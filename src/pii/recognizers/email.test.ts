import { describe, expect, it } from 'vitest';
import { values } from '../testing.js';
import { emailRecognizer } from './email.js';

describe('email recognizer', () => {
  it('finds addresses with a known top-level domain, trimming sentence punctuation', () => {
    expect(values(emailRecognizer, 'Write to jane.roe+billing@example.co.uk or ops@mail.example.com. Also <bob_o-neil@exämple.de>?')).toEqual([
      'jane.roe+billing@example.co.uk',
      'ops@mail.example.com',
      'bob_o-neil@exämple.de',
    ]);
  });
  it('finds internationalised addresses (RFC 6531): letters outside ASCII, punycode and native-script TLDs', () => {
    expect(values(emailRecognizer, 'josé.garcía@empresa.es, info@müller.de; иван@почта.рф, a@xn--80ak6aa92e.xn--p1ai')).toEqual(['josé.garcía@empresa.es', 'info@müller.de', 'иван@почта.рф', 'a@xn--80ak6aa92e.xn--p1ai']);
  });
  it('knows the new generic and city TLDs people use for mail', () => {
    expect(values(emailRecognizer, 'ceo@firm.legal, studio@acme.photography, hallo@kanzlei.berlin')).toEqual(['ceo@firm.legal', 'studio@acme.photography', 'hallo@kanzlei.berlin']);
  });
  it('rejects unknown TLDs, empty parts, labels starting with a dash, and handles', () => {
    expect(values(emailRecognizer, 'user@host.invalidtld, @example.com, a@-x.com, a@b, npm @scope/pkg, git@github, x@y.cöm, z@y.xn--')).toEqual([]);
  });
  it('does not take more than 64 characters of local part', () => {
    expect(values(emailRecognizer, `${'a'.repeat(65)}@example.com`)).toEqual([]);
    expect(values(emailRecognizer, `${'a'.repeat(64)}@example.com`)).toEqual([`${'a'.repeat(64)}@example.com`]);
  });
  it('reads letters of any script as letters and punctuation of any script as punctuation; a local part ends in no dash', () => {
    expect(values(emailRecognizer, 'reply to a@b.،، now; البريد،info@example.com; 連絡先: 田中.taro@example.jp; <a class="btn-@Model.Style"> x.-@example.com')).toEqual([
      'info@example.com',
      '田中.taro@example.jp',
    ]);
  });
});
