/** The labelled corpus's documents: realistic HR, payment, config, support, patient and crypto files with every entity labelled and near misses left unlabelled. */
import type { EntityType } from '../types.js';
import * as v from './values.js';
import type { Rng } from './values.js';

/** A labelled entity: its type and its exact text as written in the document. */
export interface Labelled {
  type: EntityType;
  value: string;
}

/** A run of a document: plain text (near misses included, unlabelled) or a labelled entity. */
export type Segment = string | Labelled;

export interface TableDoc {
  kind: 'table';
  /** File name without the extension. */
  name: string;
  title: string;
  header: string[];
  /** Rows of cells; each cell is a sequence of segments. */
  rows: Segment[][][];
}

export interface ProseDoc {
  kind: 'prose';
  name: string;
  title: string;
  /** Paragraphs; a string segment may hold line breaks within its paragraph. */
  paragraphs: Segment[][];
}

export type CorpusDoc = TableDoc | ProseDoc;

const L = (type: EntityType, value: string): Labelled => ({ type, value });

/**
 * What is labelled, and what is deliberately not: DATE_TIME marks dates of birth only (the analyzer's DATE_TIME is
 * a birth date in context), so letter dates and timestamps are near misses; Stripe publishable keys are public by
 * design and not labelled; URLs are labelled where a full http(s) URL is written, except a Slack webhook, which is
 * labelled as the secret it is.
 */
export const LABELLING_POLICY = 'DATE_TIME = dates of birth only; pk_ keys unlabelled; webhook URLs are SECRET_SLACK_TOKEN';

/** An HR system's employee export: names, SSNs, birth dates, emails, phones; invalid-area SSNs in a legacy column, timestamps. */
export function hrExport(rng: Rng, rows: number): TableDoc {
  const out: Segment[][][] = [];
  for (let i = 0; i < rows; i++) {
    const name = v.personName(rng);
    out.push([
      [`E${String(100_000 + i * 7 + rng.int(0, 6))}`],
      [L('PERSON', name)],
      [L('US_SSN', v.ssn(rng))],
      [L('DATE_TIME', v.dateOfBirth(rng))],
      [L('EMAIL_ADDRESS', v.email(rng, name))],
      [L('PHONE_NUMBER', v.phone(rng, 'US'))],
      [L('LOCATION', rng.pick(v.CITIES))],
      [v.ssnInvalid(rng)],
      [v.timestamp(rng)],
    ]);
  }
  return { kind: 'table', name: 'hr-export', title: 'Employee export', header: ['employee_id', 'full_name', 'ssn', 'date_of_birth', 'email', 'phone', 'city', 'legacy_ref', 'updated_at'], rows: out };
}

/** A payments spreadsheet: cards, IBANs, BICs and routing numbers, with reference numbers that fail Luhn, IBANs with wrong check digits and bad routing numbers. */
export function payments(rng: Rng, rows: number): TableDoc {
  const out: Segment[][][] = [];
  for (let i = 0; i < rows; i++) {
    const us = rng.chance(0.35);
    const nearMiss = rng.pick([v.cardNumberBadLuhn, v.ibanBadCheck, v.abaRoutingBad, v.productCode]);
    out.push([
      [L('PERSON', v.personName(rng))],
      [L('CREDIT_CARD', v.cardNumber(rng))],
      [`${String(rng.int(1, 12)).padStart(2, '0')}/${rng.int(27, 31)}`],
      us ? [] : [L('IBAN_CODE', v.iban(rng))],
      us ? [] : [L('SWIFT_CODE', v.bic(rng))],
      us ? [L('ABA_ROUTING_NUMBER', v.abaRouting(rng))] : [],
      [`${rng.int(10, 9_999)}.${rng.digits(2)}`],
      [v.invoiceNumber(rng)],
      [nearMiss(rng)],
    ]);
  }
  return { kind: 'table', name: 'payments', title: 'Supplier payments', header: ['payee', 'card_number', 'expiry', 'iban', 'bic', 'routing_number', 'amount', 'invoice', 'reference'], rows: out };
}

/** A service's .env file: keys and tokens beside request ids, commit hashes, image digests, build ids, timestamps and a checksum-failing example token. */
export function envConfig(rng: Rng, services: number): ProseDoc {
  const paragraphs: Segment[][] = [];
  paragraphs.push([`# generated ${v.timestamp(rng)} by deploy pipeline\nAPP_ENV=production\nLOG_LEVEL=info\nREQUEST_ID=${v.uuid(rng)}\nGIT_COMMIT=${v.gitSha1(rng)}\nIMAGE_DIGEST=sha256:${v.sha256Hex(rng)}\nBUILD_ID=${rng.digits(8)}.${rng.int(1, 999)}\nCSRF_TOKEN_HEADER=X-CSRF-Token-Validation-Header\nSESSION_TOKEN_TTL=3600\n`]);
  for (let s = 0; s < services; s++) {
    const which = s % 5;
    if (which === 0) {
      paragraphs.push(['# AWS\nAWS_ACCESS_KEY_ID=', L('SECRET_AWS_ACCESS_KEY', v.awsAccessKeyId(rng)), '\nAWS_SECRET_ACCESS_KEY=', L('SECRET_AWS_SECRET_KEY', v.awsSecretKey(rng)), `\nAWS_REGION=eu-west-1\nS3_BUCKET=backups-${rng.digits(6)}\n`]);
    } else if (which === 1) {
      paragraphs.push([
        '# GitHub and Slack\nGITHUB_TOKEN=',
        L('SECRET_GITHUB_TOKEN', v.githubToken(rng)),
        `\n# example from the runbook, not a live token: ${v.githubTokenBad(rng)}\nGH_FINE_GRAINED=`,
        L('SECRET_GITHUB_TOKEN', v.githubPat(rng)),
        '\nSLACK_BOT_TOKEN=',
        L('SECRET_SLACK_TOKEN', v.slackBotToken(rng)),
        '\nSLACK_WEBHOOK_URL=',
        L('SECRET_SLACK_TOKEN', v.slackWebhook(rng)),
        `\nSLACK_CHANNEL_ID=C${rng.digits(10)}\n`,
      ]);
    } else if (which === 2) {
      paragraphs.push([
        '# Payments\nSTRIPE_SECRET_KEY=',
        L('SECRET_STRIPE_KEY', v.stripeSecretKey(rng)),
        `\nSTRIPE_PUBLISHABLE_KEY=${v.stripePublishableKey(rng)}\nGOOGLE_MAPS_API_KEY=`,
        L('SECRET_GOOGLE_API_KEY', v.googleApiKey(rng)),
        `\nCORRELATION_ID=${v.uuid(rng)}\n`,
      ]);
    } else if (which === 3) {
      paragraphs.push(['# Database\nDB_HOST=db.internal\nDB_USER=app\nDB_PASSWORD=', L('SECRET_HIGH_ENTROPY', v.password(rng)), `\nDB_PASSWORD_FILE=/run/secrets/db-password-${rng.digits(4)}\nMIGRATION_LOCK_TOKEN=${v.uuid(rng)}\nSERVICE_JWT=`, L('SECRET_JWT', v.jwt(rng)), '\n']);
    } else {
      paragraphs.push([`# Deploy key (rotated ${v.timestamp(rng)})\nDEPLOY_KEY="`, L('SECRET_PRIVATE_KEY', v.privateKeyPem(rng)), `"\nDEPLOY_KEY_FINGERPRINT=SHA256:${Buffer.from(rng.bytes(32)).toString('base64').replace(/=+$/, '')}\n`]);
    }
  }
  return { kind: 'prose', name: 'service', title: 'service.env', paragraphs };
}

/** A support mailbox thread: names, emails, phones, an IP, a tracking URL; order, invoice, UPS/FedEx tracking and product codes as near misses. */
export function supportEmail(rng: Rng, tickets: number): ProseDoc {
  const paragraphs: Segment[][] = [];
  for (let t = 0; t < tickets; t++) {
    const name = v.personName(rng);
    const agent = v.personName(rng);
    const ups = v.upsTracking(rng);
    paragraphs.push(['From: ', L('PERSON', name), ' <', L('EMAIL_ADDRESS', v.email(rng, name)), `>\nSubject: Order ${v.orderNumber(rng)} not delivered\nX-Originating-IP: `, L('IP_ADDRESS', v.ipAddress(rng))]);
    paragraphs.push([
      `Hello, my order ${v.orderNumber(rng)} (invoice ${v.invoiceNumber(rng)}) was shipped with UPS ${ups} and part of it with FedEx ${v.fedexTracking(rng)}, but nothing arrived at my address in `,
      L('LOCATION', rng.pick(v.CITIES)),
      `. The item is ${v.productCode(rng)}. Please call me on `,
      L('PHONE_NUMBER', v.phone(rng)),
      '.',
    ]);
    paragraphs.push(['Reply from ', L('PERSON', agent), ': I am sorry about this. You can follow the parcel at ', L('URL', `https://www.ups.com/track?loc=en_US&tracknum=${ups}`), ` and your ticket reference is ${v.timestamp(rng).slice(0, 10).replace(/-/g, '')}-${rng.digits(5)}.`]);
  }
  return { kind: 'prose', name: 'support-thread', title: 'Support mailbox export', paragraphs };
}

/** UK clinic letters: patient names, NHS numbers, NINOs, birth dates, phones; NHS numbers failing mod 11 and hospital numbers as near misses. */
export function patientLetters(rng: Rng, letters: number): ProseDoc {
  const paragraphs: Segment[][] = [];
  for (let i = 0; i < letters; i++) {
    const patient = v.personName(rng);
    const gp = v.personName(rng);
    paragraphs.push([`Outpatient clinic letter, dictated ${rng.int(1, 28)} November 2026, hospital number RX1 ${rng.digits(6)}`]);
    paragraphs.push(['Dear Dr ', L('PERSON', gp.split(' ')[1]!), ',']);
    paragraphs.push(['Re: ', L('PERSON', patient), ', date of birth ', L('DATE_TIME', v.dateOfBirth(rng)), ', NHS number ', L('UK_NHS', v.nhsNumber(rng)), ', National Insurance number ', L('UK_NINO', v.nino(rng)), '.']);
    paragraphs.push([
      `I reviewed your patient in clinic today. Her previous NHS number on the referral (${v.nhsNumberBad(rng)}) was mistyped and has been corrected above. She lives in `,
      L('LOCATION', rng.pick(v.CITIES)),
      ' and can be reached on ',
      L('PHONE_NUMBER', v.phone(rng, 'GB')),
      `. Follow-up appointment reference APT-${rng.digits(8)}.`,
    ]);
    paragraphs.push(['Yours sincerely,\n', L('PERSON', v.personName(rng)), '\nConsultant Physician']);
  }
  return { kind: 'prose', name: 'clinic-letters', title: 'Clinic letters', paragraphs };
}

/** A crypto payments ledger: Bitcoin (Base58, bech32, bech32m) and Ethereum addresses; transaction hashes and checksum-failing addresses as near misses. */
export function cryptoPayments(rng: Rng, rows: number): TableDoc {
  const out: Segment[][][] = [];
  for (let i = 0; i < rows; i++) {
    const eth = rng.chance(0.4);
    const address = eth ? v.ethereumAddress(rng) : rng.chance(0.5) ? v.bitcoinBase58(rng) : v.bitcoinSegwit(rng);
    out.push([
      [v.timestamp(rng).slice(0, 10)],
      [L('PERSON', v.personName(rng))],
      [eth ? 'ETH' : 'BTC'],
      [L('CRYPTO', address)],
      [`${rng.int(0, 9)}.${rng.digits(6)}`],
      [eth ? v.txHash(rng) : v.sha256Hex(rng)],
      rng.chance(0.3) ? [`old address, do not use: ${v.bitcoinBase58Bad(rng)}`] : ['paid'],
    ]);
  }
  return { kind: 'table', name: 'crypto-payments', title: 'Crypto payments ledger', header: ['date', 'customer', 'asset', 'wallet_address', 'amount', 'tx_hash', 'note'], rows: out };
}
