/**
 * Microsoft Presidio's own test cases for its email, phone, IP, URL, crypto and date recognizers and its context
 * sentences, run through our analyzer. The inputs and Presidio's expected spans come from microsoft/presidio,
 * presidio-analyzer/tests/ (test_email_recognizer.py, test_phone_recognizer.py, test_ip_recognizer.py,
 * test_url_recognizer.py, test_crypto_recognizer.py, test_date_recognizer.py, test_context_support.py with
 * data/context_sentences_tests.txt; MIT licence, Copyright (c) Microsoft Corporation). A case where saaswatch
 * deliberately differs holds our expected spans, Presidio's beside them, and why.
 */
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../analyzer.js';
import type { EntityType } from '../types.js';

type Span = readonly [number, number];

interface Case {
  text: string;
  /** Our expected findings of the type, in order: Presidio's, unless `differs` says otherwise. */
  spans: readonly Span[];
  /** Why we deliberately differ from Presidio, whose expected spans `presidio` holds. */
  differs?: string;
  presidio?: readonly Span[];
}

/** The default floor of `saaswatch scan` and `pii.min_score`: what Presidio finds, we must report at or above it. */
const REPORTED = 0.5;

const analyzer = createAnalyzer();

function run(type: EntityType, cases: readonly Case[]): void {
  it.each(cases.map((c) => [c.text, c] as const))('%j', (_text, c) => {
    const found = analyzer.analyze(c.text, { entities: [type] });
    expect(found.map((f) => [f.start, f.end])).toEqual(c.spans.map((s) => [...s]));
    for (const f of found) expect(f.score).toBeGreaterThanOrEqual(REPORTED);
    if (c.differs) expect(c.presidio, 'a difference names what Presidio expects').toBeDefined();
    if (c.presidio) expect(c.presidio).not.toEqual(c.spans);
  });
}

const whole = (text: string): Case => ({ text, spans: [[0, text.length]] });
const none = (text: string): Case => ({ text, spans: [] });

describe('EMAIL_ADDRESS: test_email_recognizer.py', () => {
  run('EMAIL_ADDRESS', [
    whole('info@presidio.site'),
    { text: 'my email address is info@presidio.site', spans: [[20, 38]] },
    { text: 'try one of these emails: info@presidio.site or anotherinfo@presidio.site', spans: [[25, 43], [47, 72]] },
    none('my email is info@presidio.'),
    // The earlier version of the same file.
    { text: 'my email is info@presidio.site', spans: [[12, 30]] },
    { text: 'try one of this emails: info@presidio.site or anotherinfo@presidio.site', spans: [[24, 42], [46, 71]] },
    none('the email is my email is info@presidio.'),
    // What EmailRecognizer's pattern documents it finds: RFC 3490 punycode labels and raw IDN labels.
    { text: 'write to info@xn--80ak6aa92e.com', spans: [[9, 32]] },
    { text: 'write to info@müller.de', spans: [[9, 23]] },
  ]);
});

describe('PHONE_NUMBER: test_phone_recognizer.py', () => {
  run('PHONE_NUMBER', [
    { text: 'My US number is (415) 555-0132, and my international one is +1 415 555 0132', spans: [[16, 30], [60, 75]] },
    // Presidio reads it under its IL region; under our default regions libphonenumber validates it as German (same span).
    { text: 'My Israeli number is 09-7625400', spans: [[21, 31]] },
    { text: '_: (415)555-0132', spans: [[3, 16]] },
    { text: 'United States: (415)555-0132', spans: [[15, 28]] },
    { text: 'US: 415-555-0132', spans: [[4, 16]] },
    { text: '_: +55 11 98456 5666', spans: [[3, 20]] },
    { text: 'Brazil: +55 11 98456 5666', spans: [[8, 25]] },
    { text: 'BR: +55 11 98456 5666', spans: [[4, 21]] },
  ]);
});

const UNSPECIFIED = 'the unspecified address :: names no host (Presidio scores it 0.1, under any reporting floor)';

describe('IP_ADDRESS: test_ip_recognizer.py', () => {
  describe('IPv4 and IPv6', () => {
    run('IP_ADDRESS', [
      { text: 'microsoft.com 192.168.0.1', spans: [[14, 25]] },
      none('my ip: 192.168.0'),
      { text: 'microsoft.com 684D:1111:222:3333:4444:5555:6:77', spans: [[14, 47]] },
      { text: 'my ip: 684D:1111:222:3333:4444:5555:6:77', spans: [[7, 40]] },
      none('684D:1111:222:3333:4444:5555:77'),
      whole('2345:0425:2CA1:0000:0000:0567:5673:23b5'),
      whole('2345:0425:2CA1::0567:5673:23b5'),
      whole('2400:c401::5054:ff:fe1b:b031'),
      { text: 'Use local ipv6 ::', spans: [], presidio: [[15, 17]], differs: UNSPECIFIED },
      { text: 'my ip: ::1', spans: [[7, 10]] },
      { text: 'connecting from ::1', spans: [[16, 19]] },
      { text: 'src=:: dst=::1', spans: [[11, 14]], presidio: [[4, 6], [11, 14]], differs: UNSPECIFIED },
    ]);
  });
  describe('IPv6 compression and zone ids', () => {
    run('IP_ADDRESS', [whole('2400:c401::5054:ff:fe1b:b031'), whole('fe80::1'), whole('2001:db8::8a2e:370:7334'), whole('2001:db8:85a3::8a2e:370'), whole('2001:db8::1'), whole('fe80::1%eth0')]);
  });
  describe('IPv6 in context', () => {
    run('IP_ADDRESS', [
      { text: 'Server IP: 2001:db8::1', spans: [[11, 22]] },
      { text: 'Connect to [2001:db8::1]:8080', spans: [[12, 23]] },
      { text: 'my ip is 2400:c401::5054:ff:fe1b:b031', spans: [[9, 37]] },
      { text: 'Gateway: fe80::1 on interface', spans: [[9, 16]] },
      { text: 'Visit http://[2001:db8::1]/path', spans: [[14, 25]] },
      { text: 'SSH to user@2001:db8::1', spans: [[12, 23]] },
    ]);
  });
  describe('IPv4-mapped and IPv4-embedded IPv6, one span', () => {
    run('IP_ADDRESS', [
      whole('::ffff:192.0.2.1'),
      whole('::ffff:10.0.0.1'),
      whole('::ffff:172.16.0.1'),
      whole('::ffff:127.0.0.1'),
      whole('::ffff:255.255.255.255'),
      whole('::ffff:0.0.0.0'),
      whole('::ffff:0:192.168.1.1'),
      whole('::ffff:0000:10.0.0.1'),
      { text: 'Mapped: ::ffff:192.168.1.1', spans: [[8, 26]] },
      { text: 'Connect to ::ffff:10.0.0.1 now', spans: [[11, 26]] },
      { text: '[::ffff:192.168.1.1]:80', spans: [[1, 19]] },
      whole('::192.168.1.1'),
      whole('::10.0.0.1'),
      none('::ffff:256.0.0.1'),
      none('::ffff:192.168.1'),
      whole('2001:db8::192.168.1.1'),
      whole('2001:db8:1::192.0.2.1'),
      whole('64:ff9b::192.0.2.1'),
      whole('2001:db8:85a3::8a2e:192.168.0.1'),
      whole('0:0:0:0:0:FFFF:129.144.52.38'),
      whole('2001:db8:0:0:0:0:192.168.1.1'),
      { text: 'NAT64: 64:ff9b::198.51.100.1', spans: [[7, 28]] },
      { text: 'Tunnel to 2001:db8::10.0.0.1', spans: [[10, 28]] },
      none('2001:db8::256.1.1.1'),
    ]);
  });
  describe('several in one text', () => {
    run('IP_ADDRESS', [
      { text: 'IPv4: 192.168.1.1, IPv6: 2001:db8::1', spans: [[6, 17], [25, 36]] },
      { text: 'Primary: 10.0.0.1, Secondary: 172.16.0.1', spans: [[9, 17], [30, 40]] },
      { text: 'IPs: 192.168.1.1, 10.0.0.1, 2001:db8::1', spans: [[5, 16], [18, 26], [28, 39]] },
    ]);
  });
  describe('not IP addresses', () => {
    run('IP_ADDRESS', ['MAC address aa:bb:cc:dd:ee:ff', 'Time 12:34:56', 'Ratio 1:2:3:4', 'CSS color #ff00aa', 'Version 1.2.3', 'Port 80:443', 'abc:def:ghi', '123:abc', 'file:///path/to/file', 'std::cout', 'MyClass::toString', ':::'].map(none));
  });
  describe('boundaries', () => {
    run('IP_ADDRESS', [
      none('IP192.168.1.1text'),
      none('text192.168.1.1'),
      { text: '(192.168.1.1)', spans: [[1, 12]] },
      { text: "'2001:db8::1'", spans: [[1, 12]] },
      { text: 'IP: 192.168.1.1.', spans: [[4, 15]] },
      { text: '192.168.1.1,', spans: [[0, 11]] },
      { text: '[2001:db8::1]', spans: [[1, 12]] },
      { text: 'Server IP: 2400:c401::5054:ff:fe1b:b031.', spans: [[11, 39]] },
      { text: '2001:db8::1.', spans: [[0, 11]] },
      none('fe80::1text'),
      none('text2001:db8::1'),
      { text: '192.168.1.1.1', spans: [], presidio: [[0, 11]], differs: 'five dotted numbers are an OID or a version (1.3.6.1.4), not an address with a tail' },
    ]);
  });
  describe('invalid addresses', () => {
    run('IP_ADDRESS', [
      ...['256.256.256.256', '192.168.1.256', 'gggg:hhhh::1234', '192.168.1', '300.168.1.1', '12345:db8::1', '2001::db8::1'].map(none),
      { text: '192.168.2.1@eth0', spans: [[0, 11]] },
      { text: 'text::ffff:192.0.2.1', spans: [[11, 20]] },
      { text: 'foo2001:db8::10.0.0.1', spans: [[13, 21]] },
    ]);
  });
  describe('special addresses', () => {
    run('IP_ADDRESS', [
      { text: 'localhost 127.0.0.1', spans: [[10, 19]] },
      { text: 'Broadcast 255.255.255.255', spans: [[10, 25]] },
      { text: 'Private 10.0.0.0', spans: [[8, 16]] },
      { text: 'Link-local 169.254.1.1', spans: [[11, 22]] },
      { text: 'Subnet 172.16.0.0', spans: [[7, 17]] },
      { text: 'Default 0.0.0.0', spans: [[8, 15]] },
      { text: 'Unspecified ::', spans: [], presidio: [[12, 14]], differs: UNSPECIFIED },
      { text: 'Loopback ::1', spans: [[9, 12]] },
      { text: 'Multicast ff02::1', spans: [[10, 17]] },
    ]);
  });
  describe('CIDR notation: the prefix length in the span', () => {
    run('IP_ADDRESS', [
      whole('192.168.1.0/24'),
      whole('10.0.0.0/8'),
      whole('0.0.0.0/0'),
      whole('192.168.1.1/32'),
      whole('2001:db8::/32'),
      whole('fe80::/10'),
      whole('::1/128'),
      whole('fe80::1%eth0/64'),
      {
        text: '2001:db8::%eth0/128',
        spans: [[0, 10]],
        presidio: [[0, 19]],
        differs: 'a zone names a link only for a scoped address (RFC 4007: fe80::/10, multicast); after a global one `%` is text or percent-encoding (`?ip=2001:db8::1%20and`), so it stays out of the span',
      },
      { text: '::/0', spans: [], presidio: [[0, 4]], differs: UNSPECIFIED },
      { text: '::/128', spans: [], presidio: [[0, 6]], differs: UNSPECIFIED },
      whole('::ffff:192.168.1.0/96'),
      whole('64:ff9b::192.0.2.0/96'),
      { text: 'Subnet: 192.168.1.0/24', spans: [[8, 22]] },
      { text: 'Prefix: 2001:db8::/32', spans: [[8, 21]] },
      { text: 'Route is 10.0.0.0/8.', spans: [[9, 19]] },
      { text: 'Use 2001:db8::/32.', spans: [[4, 17]] },
      { text: '10.0.0.0/123', spans: [[0, 8]] },
      { text: '2001:db8::/9999', spans: [[0, 10]] },
    ]);
  });
});

const BARE_DOMAIN = 'a bare domain is not reported: every email address and many file names (notes.md, run.py) hold one; a scheme or www. marks a link';

describe('URL: test_url_recognizer.py', () => {
  run('URL', [
    whole('https://www.microsoft.com/'),
    whole('http://www.microsoft.com/'),
    whole('http://www.microsoft.com'),
    whole('http://microsoft.com'),
    whole('http://microsoft.site'),
    whole('http://microsoft.webcam'),
    whole('http://microsoft.vlaanderen'),
    whole('https://webhook.site/324d38de-dc6b-4920-9c3e-813f7cf78729?q=1&b=2'),
    whole('https://www.microsoft.com/store/abc/'),
    { text: 'microsoft.com', spans: [], presidio: [[0, 13]], differs: BARE_DOMAIN },
    { text: 'my domains: microsoft.com google.co.il', spans: [], presidio: [[12, 25], [26, 38]], differs: BARE_DOMAIN },
    none('www.microsoft'),
    { text: 'http://microsoft', spans: [[0, 16]], presidio: [], differs: 'a scheme URL to a single-label host (http://intranet/, http://localhost:8080/) is still a link' },
  ]);
});

describe('CRYPTO: test_crypto_recognizer.py', () => {
  run('CRYPTO', [
    whole('16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ'),
    whole('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy'),
    whole('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'),
    whole('bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297'),
    { text: '16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', spans: [[0, 34], [35, 69]] },
    { text: 'my wallet address is: 16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ', spans: [[22, 56]] },
    none('16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ2'),
    none('my wallet address is: 16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ2'),
    none(''),
    none('8f953371d3e85eddb89b05ed6b9e680791055315c73e1025ab5dba7bb2aee189'),
    whole('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'),
    { text: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed 0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb', spans: [[0, 42], [43, 85]] },
    { text: 'My Ethereum wallet is 0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', spans: [[22, 64]] },
    {
      text: 'lowercase address 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed',
      spans: [[18, 60]],
      presidio: [],
      differs: 'under EIP-55 an all-lowercase address carries no checksum, so none fails: wallets accept it (0.5, raised by a context word)',
    },
    none('checksummed but invalid address 0xdbF03B407c01E7cD3CBea99509d93f8DDdC8C6FB'),
    // Presidio's valid addresses with their last character changed, or in mixed case (BIP-173): the checksum fails.
    none('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp'),
    none('bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3298'),
    none('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwF5mdq'),
    none('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz'),
    {
      text: 'BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ',
      spans: [[0, 42]],
      presidio: [],
      differs: "BIP-173 allows an all-uppercase address (QR codes use it); Presidio's pattern reads a lowercase bc1 only",
    },
  ]);
});

const DOB_ONLY = 'DATE_TIME is reported for dates of birth (README): a date with no birth keyword (an invoice, a log line) is not personal data';
/** Presidio's dates, each with its expected span in "Today is <date>" (from offset 9). */
const DATES = [
  '5-20-2021', '5/20/2021', '2021-05-21', '21.5.2021', '21.5.21', '5-MAY-2021', '5-May-2021', '05/21/21', '5/21/21', '21/05/21', '21/5/21',
  'May-21', '21-May', '05-May', 'May-2021', '05/21', '5/21', '5/2021', '05/2021',
  '2024-06-05T09:15:30.500-07:00', '2024-03-15T14:30:00.123456Z', '2024-12-31T23:59:59+00:00', '2024-03-15T14:30:00+02:00', '2024-03-15T14:30:00-05:00',
  '2024-03-15T14:30:00.123Z', '2024-03-15T14:30:00Z', '2024-03-15T14:30Z',
];
/** Presidio's partial dates we do not read as a date of birth even after a birth keyword. */
const PARTIAL = new Map([
  ['May-21', 'a month name with two digits is May 21 as often as May 2021'],
  ['21-May', 'a day and month without a year'],
  ['05-May', 'a day and month without a year'],
  ['05/21', 'mm/yy or mm/dd: no year to tell'],
  ['5/21', 'mm/yy or mm/dd: no year to tell'],
]);

describe('DATE_TIME: test_date_recognizer.py', () => {
  describe("Presidio's texts: no birth keyword, so nothing", () => {
    run('DATE_TIME', [
      ...DATES.map((d): Case => ({ text: `Today is ${d}`, spans: [], presidio: [[9, 9 + d.length]], differs: DOB_ONLY })),
      { text: 'Today is,2024-03-15T14:30:00.123456Z or not?', spans: [], presidio: [[9, 36]], differs: DOB_ONLY },
      { text: 'Today is\r2024-12-31T23:59:59+00:00 or not?', spans: [], presidio: [[9, 34]], differs: DOB_ONLY },
      { text: '2024-03-15T14:30Z', spans: [], presidio: [[0, 17]], differs: DOB_ONLY },
      none('Today is2024-06-05T09:15:30.500-07:00'),
      none('Today is5/21'),
      none('Today is5/21and it\'s sunny'),
      { text: "Today is,5/21,and it's sunny", spans: [], presidio: [[9, 13]], differs: DOB_ONLY },
      { text: '5-20-2021 is today.', spans: [], presidio: [[0, 9]], differs: DOB_ONLY },
      { text: '5-20-2021', spans: [], presidio: [[0, 9]], differs: DOB_ONLY },
    ]);
  });
  describe('the same dates after a birth keyword: the whole date', () => {
    const at = 'Date of birth: '.length;
    run(
      'DATE_TIME',
      DATES.map((d): Case => {
        const text = `Date of birth: ${d} or not?`;
        const presidio: Span[] = [[at, at + d.length]];
        const why = PARTIAL.get(d);
        return why ? { text, spans: [], presidio, differs: why } : { text, spans: presidio };
      }),
    );
  });
});

interface ContextCase {
  type: EntityType;
  text: string;
  /** Our findings of the type; each must carry a context word and score above its base. */
  count: number;
  /** A context word each finding must carry. */
  word?: string;
  differs?: string;
}

describe('context: test_context_support.py with data/context_sentences_tests.txt', () => {
  const SSN_FAKE = "078-05-1120 is the SSA's voided wallet-insert number: never reported, with or without context";
  const cases: ContextCase[] = [
    { type: 'IP_ADDRESS', text: 'my ip: 192.168.0.1', count: 1, word: 'ip' },
    { type: 'US_SSN', text: 'my ssn is 078-051120 07805-1120', count: 0, differs: SSN_FAKE },
    { type: 'US_SSN', text: 'my social security number is 078051120', count: 0, differs: SSN_FAKE },
    { type: 'US_SSN', text: 'my social security number is 078-05-1120', count: 0, differs: SSN_FAKE },
    { type: 'PHONE_NUMBER', text: 'my phone number is (425) 882-9090', count: 1, word: 'phone' },
    { type: 'PHONE_NUMBER', text: 'my phone number is:(425) 882-9090', count: 1, word: 'phone' },
    { type: 'PHONE_NUMBER', text: 'my phone number is 425 8829090', count: 1, word: 'phone' },
    // Israeli numbers in Presidio (its IL region); German under our default regions, same spans.
    { type: 'PHONE_NUMBER', text: 'try one of these phones 052 5552606 074-7111234', count: 2, word: 'phone' },
    { type: 'PHONE_NUMBER', text: 'my phone number is 4258829090', count: 1, word: 'phone' },
    { type: 'US_ITIN', text: 'my itin: 911701234', count: 1, word: 'itin' },
    { type: 'US_ITIN', text: 'my itin is 911-70-1234', count: 1, word: 'itin' },
    { type: 'US_ITIN', text: 'my taxpayer id is 911-701234 91170-1234', count: 0, differs: 'dashes out of the 3-2-4 places are not how an ITIN is written (Presidio finds them at 0.05-0.3)' },
    { type: 'US_PASSPORT', text: 'my passport number is 912803456', count: 1, word: 'passport' },
    {
      type: 'US_PASSPORT',
      text: 'my passport number is 912803456 and now there are a lot a lot a lot a lot a lot a lot a lot a lot a lot a lot a lot a lot a lot a lot a lot a lot a lot of other words',
      count: 1,
      word: 'passport',
    },
    // US_DRIVER_LICENSE and US_BANK_NUMBER sentences are not ported: saaswatch has no such recognizers.
  ];
  it.each(cases.map((c) => [c.text, c] as const))('%j', (_text, c) => {
    const found = analyzer.analyze(c.text, { entities: [c.type] });
    expect(found).toHaveLength(c.count);
    for (const f of found) {
      expect(f.explanation.context).toContain(c.word);
      if (f.explanation.baseScore < 1) expect(f.score).toBeGreaterThan(f.explanation.baseScore);
    }
  });
});

/** Why a plural of a short context word is not one (context.ts matchWord): it counts only when the list holds it. */
const PLURAL_UNLISTED = 'the plural of a context word of four letters or fewer counts only when its list holds it';

/** A value of each type and the context words of Presidio's recognizer for it; `not` lists the ones we leave out on purpose. */
const CONTEXT_WORDS: { type: EntityType; value: string; words: readonly string[]; not?: Readonly<Record<string, string>> }[] = [
  { type: 'EMAIL_ADDRESS', value: 'info@presidio.site', words: ['email'] },
  { type: 'IP_ADDRESS', value: '192.168.0.1', words: ['ip', 'ipv4', 'ipv6'] },
  { type: 'URL', value: 'https://www.microsoft.com/', words: ['url', 'website', 'link'] },
  { type: 'CRYPTO', value: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', words: ['wallet', 'btc', 'bitcoin', 'crypto', 'eth', 'ethereum'], not: { btcs: PLURAL_UNLISTED, eths: PLURAL_UNLISTED } },
  {
    type: 'PHONE_NUMBER',
    value: '(425) 882-9090',
    words: ['phone', 'telephone', 'cell', 'cellphone', 'mobile', 'call', 'number'],
    not: {
      number: 'order, invoice and account numbers sit beside "number" as often as phone numbers do',
      calls: `${PLURAL_UNLISTED}: "handled 2 calls in 7034449921 ns" counts calls`,
      cells: `${PLURAL_UNLISTED}: "merged cells B2:C4 value 7034449921" counts spreadsheet cells`,
    },
  },
];

/**
 * The forms Presidio's enhancer also takes for a word: a plural (`IPs:`, `wallets`; it compares lemmas; a word with a
 * digit has none), and a key holding it (`user_ip`; a context word inside a token counts).
 */
const forms = (words: readonly string[]): [string, string][] => words.flatMap((w) => [[w, w], ...(/\d/.test(w) ? [] : [[`${w}s`, w]]), [`user_${w}`, w]] as [string, string][]);

describe("Presidio's context words for these types, their plurals and keys holding them, raise our scores too", () => {
  for (const { type, value, words, not } of CONTEXT_WORDS) {
    it.each(forms(words))(`${type}: %s`, (word, base) => {
      const [f] = analyzer.analyze(`${word}: ${value}`, { entities: [type] });
      expect(f).toBeDefined();
      if (not?.[base] ?? not?.[word]) {
        expect(f!.explanation.context).toBeUndefined();
        return;
      }
      expect(f!.explanation.context?.length).toBeGreaterThan(0);
      expect(f!.score).toBeGreaterThan(f!.explanation.baseScore);
    });
  }
});
