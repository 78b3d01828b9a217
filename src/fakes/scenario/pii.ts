/** Content for the scenario's sensitive-file exposure: a card-settlement export with valid card numbers of a realistic issuer mix, as a Google Sheet (CSV) and as an uploaded Excel workbook. */
import type { Rng } from '../../detection/random.js';
import { makeXlsx } from '../../pii/extract/testing.js';

/** Issuers by share of card volume (roughly Visa, Mastercard, Amex, Discover), with their IIN prefixes and lengths (ISO/IEC 7812; the networks' published ranges). */
const ISSUERS: ReadonlyArray<{ name: string; weight: number; length: number; prefix: (rng: Rng) => string; groups: number[] }> = [
  { name: 'Visa', weight: 52, length: 16, prefix: () => '4', groups: [4, 4, 4, 4] },
  { name: 'Mastercard', weight: 30, length: 16, prefix: (rng) => (rng.chance(0.8) ? String(51 + rng.int(5)) : String(2221 + rng.int(500))), groups: [4, 4, 4, 4] },
  { name: 'American Express', weight: 12, length: 15, prefix: (rng) => rng.pick(['34', '37']), groups: [4, 6, 5] },
  { name: 'Discover', weight: 6, length: 16, prefix: (rng) => rng.pick(['6011', '65', '644']), groups: [4, 4, 4, 4] },
];

/** The Luhn check digit that makes `body` + digit valid (ISO/IEC 7812-1 annex B). */
export function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function luhnValid(digits: string): boolean {
  return digits.length > 1 && luhnDigit(digits.slice(0, -1)) === digits.at(-1);
}

export interface Card {
  issuer: string;
  /** Digits only. */
  number: string;
  /** As written in the export: grouped by spaces or dashes the way the card shows it, or plain. */
  written: string;
}

function card(rng: Rng): Card {
  let r = rng.int(100);
  const issuer = ISSUERS.find((i) => (r -= i.weight) < 0) ?? ISSUERS[0]!;
  let body = issuer.prefix(rng);
  while (body.length < issuer.length - 1) body += String(rng.int(10));
  const number = body + luhnDigit(body);
  const style = rng.int(3);
  let written = number;
  if (style > 0) {
    const parts: string[] = [];
    let at = 0;
    for (const g of issuer.groups) {
      parts.push(number.slice(at, at + g));
      at += g;
    }
    written = parts.join(style === 1 ? ' ' : '-');
  }
  return { issuer: issuer.name, number, written };
}

const MERCHANTS = ['Northwind Traders', 'Contoso Coffee', 'Fabrikam Fitness', 'Tailspin Toys', 'Wide World Importers', 'Adventure Works Cycles', 'Litware Books', 'Proseware Travel'];
const GIVEN = ['Maria', 'James', 'Aiko', 'Lukas', 'Fatima', 'Chen', 'Sofia', 'Oliver', 'Priya', 'Mateo'];
const FAMILY = ['Garcia', 'Smith', 'Tanaka', 'Müller', 'Haddad', 'Wei', 'Rossi', 'Brown', 'Patel', 'Silva'];

export interface CardExport {
  cards: Card[];
  header: string[];
  rows: string[][];
}

/** A settlement export: one row per transaction with the full card number, as a payment-ops team pulls from a processor. */
export function cardExport(rng: Rng, count: number, day: number): CardExport {
  const header = ['transaction_id', 'settled_at', 'merchant', 'cardholder', 'card_number', 'card_brand', 'amount', 'currency'];
  const cards: Card[] = [];
  const rows: string[][] = [];
  for (let i = 0; i < count; i++) {
    const c = card(rng);
    cards.push(c);
    rows.push([
      `TXN-${String(100_000 + i * 37 + rng.int(30)).padStart(8, '0')}`,
      new Date(day + i * 97_000).toISOString().slice(0, 19).replace('T', ' '),
      rng.pick(MERCHANTS),
      `${rng.pick(GIVEN)} ${rng.pick(FAMILY)}`,
      c.written,
      c.issuer,
      (5 + rng.int(49_500) / 100).toFixed(2),
      rng.pick(['USD', 'USD', 'EUR', 'GBP']),
    ]);
  }
  return { cards, header, rows };
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The export as a Google Sheet's first sheet reads in CSV (what files.export to text/csv gives). */
export function toCsv(x: CardExport): string {
  return [x.header, ...x.rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** The export as an Excel workbook someone uploaded. */
export function toXlsx(x: CardExport): Buffer {
  return Buffer.from(makeXlsx([{ name: 'Settlements', rows: [x.header, ...x.rows] }]));
}
