import { describe, expect, it } from 'vitest';
import { parseFields, project } from './fields.js';

describe('partial response fields', () => {
  const body = {
    kind: 'drive#fileList',
    nextPageToken: 't',
    files: [
      { id: 'a', name: 'A', owners: [{ emailAddress: 'x@e.com', displayName: 'X' }], permissions: [{ id: '1', type: 'user', role: 'owner' }] },
      { id: 'b', name: 'B' },
    ],
  };

  it('projects nested selections, slash paths and arrays', () => {
    expect(project(body, parseFields('nextPageToken,files(id,owners(emailAddress))'))).toEqual({
      nextPageToken: 't',
      files: [{ id: 'a', owners: [{ emailAddress: 'x@e.com' }] }, { id: 'b' }],
    });
    expect(project(body, parseFields('files/id, files/name'))).toEqual({ files: [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }] });
    expect(project(body, parseFields('files(*)'))).toEqual({ files: body.files });
    expect(project(body, parseFields('files,files(id)'))).toEqual({ files: body.files });
  });

  it('rejects malformed selections', () => {
    for (const bad of ['files(id', 'files)', '', 'a,,b', 'files(id)x']) expect(() => parseFields(bad)).toThrow(/Invalid field selection/);
  });
});
