/** The registry of built-in recognizers: adding one is one file and one line here. */
import type { Recognizer } from '../types.js';
import { creditCardRecognizer } from './credit-card.js';
import { usItinRecognizer, usPassportRecognizer, usSsnRecognizer } from './us.js';

export const BUILTIN_RECOGNIZERS: readonly Recognizer[] = [
  creditCardRecognizer,
  usSsnRecognizer,
  usItinRecognizer,
  usPassportRecognizer,
];
