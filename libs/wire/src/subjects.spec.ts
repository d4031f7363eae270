import { identityInboxPrefix, parseSubject, StreamInbox, streamSubjects, subjectFor } from './subjects';

describe('subjects', () => {
  it('builds and reads mesh.<service>.<func>', () => {
    expect(subjectFor('users', 'create')).toBe('mesh.users.create');
    expect(parseSubject('mesh.users.create')).toEqual({ service: 'users', func: 'create' });
    for (const subject of ['users.create', 'mesh.users', 'mesh.users.create.x', 'mesh.*.create', 'other.users.create']) {
      expect(parseSubject(subject)).toBeUndefined();
    }
  });

  it('puts streams under a third token s (items) or c (control) of the own inbox', () => {
    expect(identityInboxPrefix('orders')).toBe('_INBOX.orders');
    expect(streamSubjects(StreamInbox.items)).toBe('_INBOX.*.s.>');
    expect(streamSubjects(StreamInbox.control)).toBe('_INBOX.*.c.>');
  });
});
