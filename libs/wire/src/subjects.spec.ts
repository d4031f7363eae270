import { parseSubject, subjectFor } from './subjects';

describe('subjects', () => {
  it('builds and reads mesh.<service>.<func>', () => {
    expect(subjectFor('users', 'create')).toBe('mesh.users.create');
    expect(parseSubject('mesh.users.create')).toEqual({ service: 'users', func: 'create' });
    for (const subject of ['users.create', 'mesh.users', 'mesh.users.create.x', 'mesh.*.create', 'other.users.create']) {
      expect(parseSubject(subject)).toBeUndefined();
    }
  });
});
