/** The registry of built-in recognizers: adding one is one file and one line here. */
import type { Recognizer } from '../types.js';
import { abaRoutingRecognizer, ibanRecognizer, swiftRecognizer } from './bank.js';
import { creditCardRecognizer } from './credit-card.js';
import { cryptoRecognizer } from './crypto.js';
import { dateOfBirthRecognizer } from './date-of-birth.js';
import { emailRecognizer } from './email.js';
import { nameRecognizer } from './names.js';
import { ipRecognizer, urlRecognizer } from './network.js';
import { phoneRecognizer } from './phone.js';
import { awsKeysRecognizer, githubRecognizer, googleApiKeyRecognizer, highEntropyRecognizer, jwtRecognizer, privateKeyRecognizer, slackRecognizer, stripeRecognizer } from './secrets.js';
import { ukNhsRecognizer, ukNinoRecognizer } from './uk.js';
import { usItinRecognizer, usPassportRecognizer, usSsnRecognizer } from './us.js';

export const BUILTIN_RECOGNIZERS: readonly Recognizer[] = [
  creditCardRecognizer,
  ibanRecognizer,
  swiftRecognizer,
  abaRoutingRecognizer,
  usSsnRecognizer,
  usItinRecognizer,
  usPassportRecognizer,
  ukNhsRecognizer,
  ukNinoRecognizer,
  emailRecognizer,
  phoneRecognizer,
  ipRecognizer,
  urlRecognizer,
  dateOfBirthRecognizer,
  awsKeysRecognizer,
  googleApiKeyRecognizer,
  slackRecognizer,
  stripeRecognizer,
  githubRecognizer,
  jwtRecognizer,
  privateKeyRecognizer,
  highEntropyRecognizer,
  cryptoRecognizer,
  nameRecognizer,
];
