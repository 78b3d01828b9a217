/**
 * Not a bench: a fingerprint of everything the pattern recognizers and the analyzer find (spans, scores, explanations) over
 * the bench corpus, the dense CSV, the labelled corpus's extracted texts and seeded fuzz texts, printed as one hash per set,
 * so a speed change can be shown to leave every finding identical (`diff` the output before and after). Never prints a value.
 * PII_FP_NAMES=1 adds the analyzer with names over the labelled corpus (slow).
 */
import { createHash } from 'node:crypto';
import { mulberry32 } from '../src/detection/random.js';
import { createAnalyzer } from '../src/pii/analyzer.js';
import { generateCorpus } from '../src/pii/corpus/index.js';
import { extractText } from '../src/pii/extract/index.js';
import { BUILTIN_RECOGNIZERS } from '../src/pii/recognizers/index.js';
import { withSharedScan } from '../src/pii/scan.js';
import type { RecognizerResult } from '../src/pii/types.js';
import { corpus, customerCsv, WORDS } from './pii-data.js';

const names = new Set(['PERSON', 'LOCATION']);
const patternSet = BUILTIN_RECOGNIZERS.filter((r) => !r.entities.some((e) => names.has(e)));

/** Pieces that make near misses and edge cases: separators, half entities, keywords of every recognizer, tables. */
const PIECES = [
  '1', '12', '123', '4111', '0', '9', '07', '2024', ' ', '  ', '-', '.', '/', '(', ')', '+', '@', ':', '::', '=', '"', "'", ',', ';', '|', '\t', '\n', '\r\n',
  'a', 'A', 'x', 'é', 'ß', '😀', '_', 'DE89', 'GB82 ', 'GB82WEST12345698765432', 'DE89 3704 0044 0532 0130 00', 'www.', 'http://', 'https://x.', 'https://example.com/a?b=(1)',
  'ftp://h.io', '4111 1111 1111 1111', '4111-1111-1111-1111', '5555555555554444', '378282246310005', '4242424242424242', '536-22-8726', '536 22 8726', '912-70-1234',
  'x@y.com', 'jane.roe+b@example.co.uk', 'a@b', '192.0.2.1', '10.0.0.255', '256.1.1.1', '2001:db8::1', 'fe80::1%eth0', '::ffff:192.0.2.1',
  '+1 (415) 555-2671', '(415) 555-2671', '+44 20 7946 0958', '020 7946 0958', '06 12 34 56 78', '030 1234567', '415-555-2671', '4155552671', '+49 30 1234567',
  '943 476 5919', '9434765919', 'AB 12 34 56 C', 'AB123456C', 'A12345678', '021000021', '123456789',
  'DOB ', 'DOB: ', 'born ', 'born on ', 'date of birth: ', 'date_of_birth', 'Geburtsdatum: ', 'né le ', 'fecha de nacimiento ', 'geb. ', 'd.o.b ',
  '12/03/1985', '1985-03-12', '12.03.1985', '3 March 1985', 'March 3, 1985', '12 de marzo de 1985', '31/12/99',
  'BIC ', 'BIC: ', 'DEUTDEFF', 'NWBKGB2L', 'BUSINESS', 'ABSOLUTE', 'DEUTDEFF500', 'SSN ', 'ssn: ', 'phone ', 'tel: ', 'Tel. ', 'IBAN ', 'card ', 'Kreditkartennummer ',
  'passport ', 'routing ', 'NHS number ', 'NI number ', 'ip ', 'address ', 'wallet ', 'order ', 'invoice ', 'ticket ', 'ref ', 'contact ',
  'AKIAIOSFODNN7EXAMPLE', 'ASIAIOSFODNN7EXAMPL2', 'aws_secret_access_key = ', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'secret key: ',
  'AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe', 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy', 'xoxp-', 'https://hooks.slack.com/services/T0000000/B0000000/abcdefghijklmnopqrstuvwx',
  'sk_live_51H8vQ2eZvKYlo2C0aB3dE4fG', 'pk_test_51H8vQ2eZvKYlo2C0aB3dE4fG', 'whsec_abcdefghijklmnopqrstuvwxyz012345', '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', 'ghp_',
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', 'eyJ',
  '-----BEGIN RSA PRIVATE KEY-----\n', 'MIIEowIBAAKCAQEAx4Ur2bQ1fTq8mJ+ZkWl3c0vN5pYh7sR9aE2uD6iG1oK3jL4nM5bV8cX0zP/A\n', '-----END RSA PRIVATE KEY-----',
  'password=', 'DB_PASSWORD=q8Z!vR2#mK9xLp4@tW7n', '"api_key": "b7Xk29QmZp4LrT8vNc3WyH6s"', 'token: ', 'passwort = ', 'q8Z!vR2#mK9xLp4@tW7nQ',
  '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', 'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'ltc1',
  '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', 'f3a9c2e1d4b5a6978877665544332211aabbccdd', '550e8400-e29b-41d4-a716-446655440000',
  'ORD-12345678', '1Z999AA10123456784', 'INV-2026-356930', 'customer_id,email,phone,card_number\n', 'name\tdob\trouting\n', '| iban | card |\n|---|---|\n',
];

function fuzzTexts(seed: number, count: number): string[] {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    for (let k = 0, n = 1 + int(60); k < n; k++) {
      const r = int(10);
      parts.push(r < 7 ? PIECES[int(PIECES.length)]! : r < 9 ? WORDS[int(WORDS.length)]! + ' ' : String(int(1e9)).slice(0, 1 + int(12)));
    }
    out.push(parts.join(''));
  }
  return out;
}

const hashOf = (items: unknown[]): string => createHash('sha256').update(JSON.stringify(items)).digest('hex').slice(0, 16);
const digest = (found: RecognizerResult[]) => found.map((f) => [f.type, f.start, f.end, f.score, f.explanation]);

const sets: [string, string[]][] = [
  ['bench corpus 4 MB', [corpus(4_000_000, 18)]],
  ['bench corpus 1 MB seed 7', [corpus(1_000_000, 7)]],
  ['customer csv 5k', [customerCsv(5_000, 18)]],
  ['fuzz short', fuzzTexts(1, 4000)],
  ['fuzz long', fuzzTexts(2, 40).map((t, i) => t.repeat(20 + i))],
  ['examples', BUILTIN_RECOGNIZERS.flatMap((r) => r.examples ?? [])],
];
const labelled: string[] = [];
for (const seed of [1, 2, 3]) for (const file of generateCorpus({ seed, size: 40 })) labelled.push((await extractText(file.data, { name: file.name })).text);
sets.push(['labelled corpus', labelled]);

const analyzers: [string, ReturnType<typeof createAnalyzer>, number][] = [
  ['patterns min 0', createAnalyzer({}, { recognizers: patternSet }), 0],
  ['patterns min 0.5', createAnalyzer({}, { recognizers: patternSet }), 0.5],
  ['patterns en, window 3, allow+deny+custom', createAnalyzer({ languages: ['en'], context_window: 3, allow: ['4111 1111 1111 1111'], deny: [{ type: 'TICKET_ID', values: ['ORD-12345678'] }], custom: [{ name: 'ticket', type: 'TICKET_ID', pattern: '[A-Z]{2,5}-[0-9]{1,6}', score: 0.5, context: ['ticket'] }] }, { recognizers: patternSet }), 0],
  ['patterns de,fr', createAnalyzer({ languages: ['de', 'fr'] }, { recognizers: patternSet }), 0],
];
for (const [setName, texts] of sets) {
  for (const [aName, a, min] of analyzers) console.log(`${setName} | ${aName}: ${hashOf(texts.map((t) => digest(a.analyze(t, { minScore: min }))))} (${texts.reduce((n, t) => n + a.analyze(t, { minScore: min }).length, 0)} findings)`);
  // Each recognizer alone, in and out of a shared scan: every candidate, before overlaps are resolved.
  const ctx = { languages: ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt'] };
  for (const r of patternSet) {
    const inside = texts.map((t) => withSharedScan(t, () => digest(r.recognize(t, ctx))));
    const alone = setName.startsWith('bench') ? [] : texts.map((t) => digest(r.recognize(t, ctx)));
    console.log(`${setName} | ${r.id}: ${hashOf(inside)} ${alone.length ? hashOf(alone) : '-'} (${inside.reduce((n, d) => n + d.length, 0)})`);
  }
}
if (process.env.PII_FP_NAMES) {
  const full = createAnalyzer();
  console.log(`labelled corpus | full analyzer min 0: ${hashOf(labelled.map((t) => digest(full.analyze(t))))}`);
}
