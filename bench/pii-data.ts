/** The PII benches' deterministic texts: the mixed plain-text corpus and the dense customer CSV (seeded, no real data). */
import { mulberry32 } from '../src/detection/random.js';

export const WORDS = ('the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their ' +
  'report quarterly revenue customer account shared folder review meeting notes project budget invoice payment order shipping tracking contract renewal ' +
  'team manager office schedule update policy security access drive document spreadsheet presentation approval vendor service support ticket request ' +
  'Bericht Kunde Rechnung Zahlung Vertrag facture client paiement contrat informe cliente pago factura rapporto cliente pagamento fattura').split(' ');

/** Public test values (Stripe/PayPal cards, ECBS IBANs, SSA-valid SSN shapes, RFC 5737/3849 addresses). */
const ENTITIES = [
  () => 'Card: 4111 1111 1111 1111',
  () => 'card 5555555555554444',
  () => 'Amex 378282246310005',
  () => 'SSN 536-22-8726',
  () => 'IBAN DE89 3704 0044 0532 0130 00',
  () => 'IBAN GB82WEST12345698765432',
  () => 'contact jane.roe@example.com',
  () => 'phone +1 (415) 555-2671',
  () => 'tel +44 20 7946 0958',
  () => 'from 192.0.2.44',
  () => 'NHS number 943 476 5919',
  () => 'NI number AB 12 34 56 C',
  () => 'date of birth: 12/03/1985',
  () => 'see https://example.com/report?id=7',
];

export function corpus(size: number, seed: number): string {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const kind = int(10);
    let chunk: string;
    if (kind < 4) {
      // Prose: a paragraph, with numbers as prose has them.
      const words: string[] = [];
      for (let i = 0, n = 40 + int(80); i < n; i++) words.push(int(25) === 0 ? String(int(100000)) : WORDS[int(WORDS.length)]!);
      chunk = words.join(' ') + '.\n';
    } else if (kind < 7) {
      // CSV rows: ids, order and tracking numbers, amounts, dates.
      const rows: string[] = [];
      for (let i = 0; i < 10; i++) {
        rows.push(`${int(1e6)},ORD-${pad(int(1e8), 8)},1Z${hex(16).toUpperCase()},${(rnd() * 1000).toFixed(2)},2024-${pad(1 + int(12), 2)}-${pad(1 + int(28), 2)},${WORDS[int(WORDS.length)]},${int(1e10)}`);
      }
      chunk = rows.join('\n') + '\n';
    } else {
      // Log lines: timestamps, UUIDs, git hashes, internal addresses, durations.
      const lines: string[] = [];
      for (let i = 0; i < 10; i++) {
        lines.push(`2024-03-${pad(1 + int(28), 2)}T${pad(int(24), 2)}:${pad(int(60), 2)}:${pad(int(60), 2)}.${pad(int(1000), 3)}Z INFO request id=${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)} commit=${hex(40)} src=10.${int(256)}.${int(256)}.${int(256)} took ${int(5000)}ms status=${200 + int(300)}`);
      }
      chunk = lines.join('\n') + '\n';
    }
    if (int(2) === 0) chunk += ENTITIES[int(ENTITIES.length)]!() + '.\n';
    parts.push(chunk);
    len += chunk.length;
  }
  return parts.join('');
}

/** A customer export: every row holds four entities (test card numbers with a valid Luhn digit, 555-01xx fictional phone numbers, example.com addresses, IBANs with valid check digits). */
export function customerCsv(rows: number, seed: number): string {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join('');
  const luhnDigit = (body: string) => {
    let sum = 0;
    for (let i = 0; i < body.length; i++) {
      let v = body.charCodeAt(body.length - 1 - i) - 48;
      if (i % 2 === 0) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    return String((10 - (sum % 10)) % 10);
  };
  const card = () => {
    const body = ['4', '51', '37'][int(3)]!;
    const len = body === '37' ? 15 : 16;
    const d = body + digits(len - 1 - body.length);
    const n = d + luhnDigit(d);
    return len === 16 && int(2) === 0 ? n.replace(/(\d{4})(?=\d)/g, '$1 ') : n;
  };
  const iban = () => {
    // German IBAN: the check digits that make mod 97 come out at 1.
    const bban = digits(18);
    const num = BigInt(bban + '131400');
    return `DE${String(98n - (num % 97n)).padStart(2, '0')}${bban}`;
  };
  const phone = () => [`+1 (415) 555-01${digits(2)}`, `+44 20 7946 0${digits(3)}`, `(212) 555-01${digits(2)}`][int(3)]!;
  const lines = ['customer_id,name,email,phone,card_number,iban,amount,signup_date'];
  for (let i = 0; i < rows; i++) {
    const name = WORDS[int(WORDS.length)]!;
    lines.push(`${100000 + i},${name} ${WORDS[int(WORDS.length)]},${name}.${i}@example.com,${phone()},${card()},${iban()},${(rnd() * 1000).toFixed(2)},2024-${String(1 + int(12)).padStart(2, '0')}-${String(1 + int(28)).padStart(2, '0')}`);
  }
  return lines.join('\n') + '\n';
}
