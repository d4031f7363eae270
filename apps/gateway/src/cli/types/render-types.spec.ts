import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRules } from '@nest-mesh/rules';
import { openApiOf } from '../../discovery/openapi';
import { catalogOf } from '../../discovery/services-listing';
import { parseSrvAnswers } from '../../discovery/srv-answers';
import { renderTypes } from './render-types';
import { schemaToTs } from './schema-to-ts';

const noRefs = () => undefined;

describe('schemaToTs', () => {
  it.each([
    [{ type: 'string' }, 'string'],
    [{ type: 'integer' }, 'number'],
    [{ type: ['string', 'null'] }, 'string | null'],
    [{ type: 'string', nullable: true }, 'string | null'],
    [{ enum: ['a', 1, null] }, '"a" | 1 | null'],
    [{ const: 'x' }, '"x"'],
    [{ type: 'array', items: { type: ['string', 'number'] } }, '(string | number)[]'],
    [{ type: 'array', items: { enum: ['a|b'] } }, '"a|b"[]'],
    [{ type: 'array', items: { anyOf: [{ const: 'a' }, { type: 'object', properties: { x: { type: ['string', 'null'] } } }] } }, '("a" | {\n  x?: string | null;\n})[]'],
    [{ type: 'array', prefixItems: [{ type: 'string' }], items: false }, '[string]'],
    [{ anyOf: [{ type: 'string' }, {}] }, 'unknown'],
    [{ allOf: [{ $ref: '#/x' }] }, 'unknown'],
    [{}, 'unknown'],
    [true, 'unknown'],
    [false, 'never'],
    ['garbage', 'unknown'],
    [{ type: 'object' }, '{\n  [key: string]: unknown;\n}'],
    [{ type: 'object', additionalProperties: { type: 'number' } }, '{\n  [key: string]: number;\n}'],
    [{ type: 'object', properties: { 'a-b': { type: 'string' }, c: { type: 'number' } }, required: ['c'] }, '{\n  "a-b"?: string;\n  c: number;\n}'],
  ])('%j is %s', (schema, type) => {
    expect(schemaToTs(schema, noRefs)).toBe(type);
  });

  it('names references through the namer', () => {
    expect(schemaToTs({ type: 'array', items: { $ref: '#/components/schemas/A' } }, () => 'A')).toBe('A[]');
  });
});

describe('renderTypes', () => {
  const doc = JSON.parse(readFileSync(join(__dirname, '../../../../../test/fixtures/openapi.json'), 'utf8'));

  it('lists every function path of the document, with its params and result', () => {
    const { text, functions } = renderTypes(doc, 'openapi.json');
    expect(functions.map((f) => `${f.service}.${f.func}`)).toEqual(['greeter.hello', 'math.divide', 'misc.anything', 'users.create']);
    expect(text).toContain('export type MeshFunctions = {');
    expect(text).toContain('params: CreateUserDto;');
    expect(text).toContain('export type AddressDto = {\n  city: string;\n  next?: AddressDto;\n};');
    expect(text).toContain('result: number;');
    expect(text).not.toContain('export type Error');
  });

  it('looks up a $ref the document lacks in the stand-alone params schema that bundles it', () => {
    const fn = (city: string) => ({
      post: {
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  params: {
                    type: 'object',
                    properties: { address: { $ref: '#/$defs/Address' } },
                    $defs: { Address: { type: 'object', properties: { [city]: { type: 'string' }, next: { $ref: '#/$defs/Address' } } } },
                  },
                },
              },
            },
          },
        },
      },
    });
    const { text } = renderTypes({ openapi: '3.1.0', paths: { '/v1/api/p/functions/a/one': fn('city'), '/v1/api/p/functions/a/two': fn('town') } }, 'x');
    expect(text).toContain('export type Address = {\n  city?: string;\n  next?: Address;\n};');
    expect(text).toContain('export type Address2 = {\n  town?: string;\n  next?: Address2;\n};');
    expect(text).toContain('address?: Address;');
    expect(text).toContain('address?: Address2;');
  });

  it("types a function's result by the result schema it announces (nest-mesh.result), nested parts named", () => {
    const result = {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, address: { $ref: '#/$defs/Address' } }, required: ['id'] },
      $defs: { Address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    };
    const endpoint = { name: 'list', subject: 'mesh.users.list', metadata: { 'nest-mesh.result': JSON.stringify(result) } };
    const info = new TextEncoder().encode(JSON.stringify({ name: 'users', id: 'u1', version: '1.0.0', endpoints: [endpoint] }));
    const { instances } = parseSrvAnswers({ info: [info], ping: [], stats: [] }, 64);
    const doc = openApiOf('p', catalogOf(instances, compileRules({ users: { default: { rule: 'allow' } } })), 1000);
    const { text } = renderTypes(JSON.parse(JSON.stringify(doc)), 'x');
    expect(text).toContain('export type usersListResultAddress = {\n  city: string;\n};');
    expect(text).toContain('      result: {\n        id: string;\n        address?: usersListResultAddress;\n      }[];');
  });

  it('refuses a document that is not OpenAPI 3', () => {
    expect(() => renderTypes({ swagger: '2.0' }, 'x')).toThrow('not an OpenAPI 3 document');
    expect(() => renderTypes('<html>', 'x')).toThrow('not an OpenAPI 3 document');
  });

  it('survives garbage inside the document', () => {
    const { functions } = renderTypes({ openapi: '3.1.0', paths: { '/v1/api/p/functions/a/b': { post: { requestBody: 42, responses: null } }, '/x': 'y' } }, 'x');
    expect(functions).toEqual([{ service: 'a', func: 'b', params: undefined, result: undefined }]);
  });
});
