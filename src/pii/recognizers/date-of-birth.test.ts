import { describe, expect, it } from 'vitest';
import { spots, values } from '../testing.js';
import { dateOfBirthRecognizer } from './date-of-birth.js';

describe('date of birth recognizer', () => {
  it('finds a date right after a birth keyword, in seven languages', () => {
    const text = [
      'Date of birth: 12/03/1985',
      'DOB 1985-03-12',
      'born on March 12, 1985',
      'Geburtsdatum: 12.03.1985',
      'né le 3 mars 1970',
      'fecha de nacimiento: 5 de mayo de 1990',
      'data di nascita 07/11/1962',
      'geboortedatum 01-02-1975',
      'data de nascimento: 9 de junho de 1980',
    ].join('\n');
    expect(values(dateOfBirthRecognizer, text)).toEqual(['12/03/1985', '1985-03-12', 'March 12, 1985', '12.03.1985', '3 mars 1970', '5 de mayo de 1990', '07/11/1962', '01-02-1975', '9 de junho de 1980']);
  });
  it('carries the keyword as its context', () => {
    expect(spots(dateOfBirthRecognizer, 'DOB: 1985-03-12')[0]).toMatchObject({ score: 0.85 });
  });
  it('ignores dates without a birth keyword, impossible dates, and words containing a keyword', () => {
    expect(values(dateOfBirthRecognizer, 'invoice 2024-03-05, shipped 12/03/1985, DOB 1985-13-45, reborn 12/03/1985, stubborn 1985-03-12')).toEqual([]);
  });
});
