import { isValidName, parseSubject, subjectFor } from './wire';
import { codeForStatus, MeshError } from './mesh-error';

describe('names and subjects', () => {
  it.each(['a', 'users', 'A-Z_09', 'x'.repeat(64)])('accepts the name %s', (name) => {
    expect(isValidName(name)).toBe(true);
  });

  it.each(['', 'a.b', '*', '>', 'a b', 'é', 'x'.repeat(65), 'a\nb', 'a\tb'])('refuses the name %p', (name) => {
    expect(isValidName(name)).toBe(false);
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 1, {}, ['a']]) expect(isValidName(value)).toBe(false);
  });

  it('builds and reads mesh.<service>.<func>', () => {
    expect(subjectFor('users', 'create')).toBe('mesh.users.create');
    expect(parseSubject('mesh.users.create')).toEqual({ service: 'users', func: 'create' });
    for (const subject of ['users.create', 'mesh.users', 'mesh.users.create.x', 'mesh.*.create', 'other.users.create']) {
      expect(parseSubject(subject)).toBeUndefined();
    }
  });
});

describe('MeshError', () => {
  it('keeps a status from 400 to 599 and a code', () => {
    const error = new MeshError(409, 'taken', 'EMAIL_TAKEN');
    expect(error).toMatchObject({ status: 409, message: 'taken', code: 'EMAIL_TAKEN' });
    expect(error).toBeInstanceOf(Error);
    expect(JSON.stringify(error)).toBe('{"error":"taken","code":"EMAIL_TAKEN"}');
  });

  it('turns a status out of range into 500 INTERNAL', () => {
    for (const status of [200, 399, 600, 4.5, NaN]) expect(new MeshError(status, 'x')).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  it('gives the conventional code when none (or a malformed one) is given', () => {
    expect(new MeshError(404, 'x').code).toBe('NOT_FOUND');
    expect(new MeshError(400, 'x', 'bad code!').code).toBe('BAD_REQUEST');
    expect(codeForStatus(401)).toBe('UNAUTHENTICATED');
    expect(codeForStatus(403)).toBe('FORBIDDEN');
    expect(codeForStatus(413)).toBe('PAYLOAD_TOO_LARGE');
    expect(codeForStatus(503)).toBe('SERVICE_UNAVAILABLE');
    expect(codeForStatus(504)).toBe('TIMEOUT');
    expect(codeForStatus(500)).toBe('INTERNAL');
    expect(codeForStatus(499)).toBe('BAD_REQUEST');
    expect(codeForStatus(599)).toBe('INTERNAL');
  });
});
