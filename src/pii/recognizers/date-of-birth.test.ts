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
  it("reads DD-MON-YYYY and DD-MON-YY (Oracle's and EHR exports' form) and a month with a four-digit year", () => {
    expect(values(dateOfBirthRecognizer, 'DOB: 05-MAY-1985\nborn on 5/May/85.\nDate of birth: 03/1985\nGeburtsdatum März 1970\nDOB 13/1985, born 5-May/1985')).toEqual(['05-MAY-1985', '5/May/85', '03/1985', 'März 1970']);
  });
  it('takes a month and year alone only after a label (DOB, date of birth), not after a verb: prose dates projects and events that way', () => {
    expect(values(dateOfBirthRecognizer, 'NATO (March 2024) communique. The NATO 03/2024 report. Our startup was born March 2020 in a garage, geboren März 1970, née 05/1985')).toEqual([]);
    expect(values(dateOfBirthRecognizer, 'born March 3, 1970; nato il 12/03/1985; d.o.b: 05/1985; date_of_birth=March 1970')).toEqual(['March 3, 1970', '12/03/1985', '05/1985', 'March 1970']);
  });
  it('keeps the time of a timestamp in the span, so a date-of-birth column of timestamps is found', () => {
    expect(values(dateOfBirthRecognizer, 'DOB 1985-03-12T00:00:00.000Z, born 1985-03-12 08:30 in Lyon, dob 1985-03-12T25:00')).toEqual(['1985-03-12T00:00:00.000Z', '1985-03-12 08:30', '1985-03-12']);
    expect(values(dateOfBirthRecognizer, 'id\tdate_of_birth\nE1\t1956-01-25T00:00:00Z\n')).toEqual(['1956-01-25T00:00:00Z']);
  });
  it('carries the keyword as its context', () => {
    expect(spots(dateOfBirthRecognizer, 'DOB: 1985-03-12')[0]).toMatchObject({ score: 0.85 });
  });
  it('ignores dates without a birth keyword, impossible dates, and words containing a keyword', () => {
    expect(values(dateOfBirthRecognizer, 'invoice 2024-03-05, shipped 12/03/1985, DOB 1985-13-45, reborn 12/03/1985, stubborn 1985-03-12')).toEqual([]);
  });

  it('finds the dates of a date-of-birth column in tab, markdown and key: value layouts, also in rows short of cells', () => {
    const tsv = 'employee_id\tdate_of_birth\tupdated_at\nE1\t12 September 1983\t2026-06-17T19:17:12Z\nE2\t1956-01-25\t2026-08-15T12:04:48Z\n';
    expect(values(dateOfBirthRecognizer, tsv)).toEqual(['12 September 1983', '1956-01-25']);
    const md = '| name | DOB | joined |\n|---|---|---|\n| Ann | 07/11/1962 | 2020-01-01 |\n';
    expect(values(dateOfBirthRecognizer, md)).toEqual(['07/11/1962']);
    expect(values(dateOfBirthRecognizer, 'date_of_birth: 7 December 1991\nupdated_at: 2026-12-21')).toEqual(['7 December 1991']);
    expect(values(dateOfBirthRecognizer, 'Staff\nid\tname\tdate_of_birth\nE1\t1956-01-25\n')).toEqual(['1956-01-25']);
  });
  it('ignores other date columns and a keyword inside a row', () => {
    expect(values(dateOfBirthRecognizer, 'id\tjoined\tupdated_at\nE1\t1956-01-25\t2026-08-15\n')).toEqual([]);
    expect(values(dateOfBirthRecognizer, 'id\tnote\tdate\nE1\tborn abroad\t2026-08-15\nE2\tx\t2026-08-16\n')).toEqual([]);
  });
});
