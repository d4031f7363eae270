import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compileRules } from './index';

// docs/rules.md must show rules that really compile and behave as it says.
const doc = readFileSync(join(__dirname, '../../../docs/rules.md'), 'utf8');
const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);

describe('docs/rules.md examples', () => {
  it('the fallback example compiles and falls back as described', () => {
    const config = parse(blocks[0]);
    const engine = compileRules(config.modules.functions.rules);
    const anon = { auth: undefined, params: null };
    expect(engine.decide('greeter', 'hello', anon)).toEqual({ allow: true });
    expect(engine.decide('greeter', 'other', anon)).toMatchObject({ status: 401 });
    expect(engine.decide('users', 'list', anon)).toMatchObject({ status: 403, path: 'modules.functions.rules.default.default' });
  });

  it('every rule example compiles', () => {
    const rules = parse(blocks[1]);
    const engine = compileRules({ demo: rules });
    const auth = { sub: 'u1', role: 'staff', teams: ['red'] };
    expect(engine.decide('demo', 'staff', { auth, params: null })).toEqual({ allow: true });
    expect(engine.decide('demo', 'member', { auth, params: { team: 'red' } })).toEqual({ allow: true });
    expect(engine.decide('demo', 'big', { auth, params: { amount: '150' } })).toEqual({ allow: true });
    expect(engine.decide('demo', 'owner', { auth, params: { owner: 'u1' } })).toEqual({ allow: true });
    expect(engine.decide('demo', 'me', { auth: undefined, params: null })).toMatchObject({ status: 401 });
  });
});
