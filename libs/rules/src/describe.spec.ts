import { compileRules } from './index';

describe('RuleEngine.describe', () => {
  const engine = compileRules({
    users: {
      open: { rule: 'allow' },
      closed: { rule: 'deny' },
      mine: { rule: 'authenticated' },
      staff: { rule: 'match', eval: '==', type: 'string', f1: 'args.auth.role', f2: 'staff' },
      big: { rule: 'match', eval: '>', type: 'number', f1: 'args.params.amount', f2: 100 },
      owner: { rule: 'match', eval: 'exists', f1: 'args.auth' },
      guarded: { rule: 'func', service: 'guard', func: 'check' },
      both: { rule: 'and', clauses: [{ rule: 'allow' }, { rule: 'authenticated' }] },
      blocked: { rule: 'and', clauses: [{ rule: 'allow' }, { rule: 'deny' }] },
      either: { rule: 'or', clauses: [{ rule: 'deny' }, { rule: 'allow' }, { rule: 'authenticated' }] },
      eitherToken: { rule: 'or', clauses: [{ rule: 'authenticated' }, { rule: 'deny' }] },
      neither: { rule: 'or', clauses: [{ rule: 'deny' }, { rule: 'and', clauses: [{ rule: 'deny' }] }] },
      nested: { rule: 'or', clauses: [{ rule: 'and', clauses: [{ rule: 'allow' }, { rule: 'func', service: 'g', func: 'f' }] }] },
      default: { rule: 'authenticated' },
    },
    default: { default: { rule: 'deny' } },
  });
  const summary = (func: string, service = 'users') => engine.describe(service, func);

  it('says whether a rule can ever allow a call', () => {
    const canAllow = (func: string) => summary(func)!.canAllow;
    expect(['open', 'mine', 'staff', 'big', 'owner', 'guarded', 'both', 'either', 'eitherToken', 'nested'].filter(canAllow)).toHaveLength(10);
    expect(['closed', 'blocked', 'neither'].map(canAllow)).toEqual([false, false, false]);
  });

  it('says whether a caller needs a token', () => {
    const token = (func: string) => summary(func)!.token;
    expect(['open', 'closed', 'big', 'either'].map(token)).toEqual(['none', 'none', 'none', 'optional']);
    expect(['mine', 'staff', 'owner', 'both', 'eitherToken'].map(token)).toEqual(['required', 'required', 'required', 'required', 'required']);
    expect(['guarded', 'nested'].map(token)).toEqual(['optional', 'optional']);
  });

  it('finds the rule the way decide does: own, then service default, then default.default', () => {
    expect(summary('open')).toEqual({ path: 'modules.functions.rules.users.open', kind: 'allow', canAllow: true, token: 'none' });
    expect(summary('unlisted')).toEqual({ path: 'modules.functions.rules.users.default', kind: 'authenticated', canAllow: true, token: 'required' });
    expect(summary('x', 'other')).toEqual({ path: 'modules.functions.rules.default.default', kind: 'deny', canAllow: false, token: 'none' });
  });

  it('has no summary when no rule applies', () => {
    const bare = compileRules({ users: { open: { rule: 'allow' } } });
    expect(bare.describe('users', 'other')).toBeUndefined();
    expect(bare.describe('other', 'x')).toBeUndefined();
    expect(compileRules(undefined).describe('a', 'b')).toBeUndefined();
  });
});
