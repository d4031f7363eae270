import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants';
import { FUNCTION_EXTRA, MeshFunction, MeshService } from './decorators';
import { paramsAnnouncement, paramsSchemaOf, resultSchemaOf } from './params-schema';
import { PARAMS_METADATA_KEY, RESULT_METADATA_KEY } from '@nest-mesh/wire';

class Address {
  @IsString()
  city!: string;
}

class Signup {
  @IsEmail()
  email!: string;

  @IsInt()
  @Min(13)
  age!: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => Address)
  address?: Address;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => Address)
  previous?: Address[];
}

class Tree {
  @IsString()
  label!: string;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => Tree)
  children?: Tree[];
}

class Plain {
  name!: string;
}

describe('paramsSchemaOf', () => {
  it('derives a JSON Schema from a class-validator DTO, nested DTOs bundled under $defs', () => {
    expect(paramsSchemaOf(Signup)).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        email: { type: 'string', format: 'email' },
        age: { type: 'integer', minimum: 13 },
        address: { $ref: '#/$defs/Address' },
        previous: { type: 'array', items: { $ref: '#/$defs/Address' } },
      },
      required: ['email', 'age'],
      $defs: { Address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    });
  });

  it('bundles a DTO that contains itself, so every $ref resolves inside the schema', () => {
    const schema = paramsSchemaOf(Tree)!;
    expect(schema.properties).toEqual({ label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Tree' } } });
    expect((schema.$defs as Record<string, unknown>).Tree).toEqual({
      type: 'object',
      properties: schema.properties,
      required: ['label'],
    });
  });

  it('gives no schema for what is not a DTO class', () => {
    for (const type of [undefined, null, Object, String, Number, Array, Promise, Plain, 'Signup', () => 1]) {
      expect(paramsSchemaOf(type)).toBeUndefined();
    }
  });
});

describe('paramsAnnouncement', () => {
  it('announces the schema as JSON under nest-mesh.params', () => {
    const { metadata, warning } = paramsAnnouncement(Signup);
    expect(warning).toBeUndefined();
    expect(JSON.parse(metadata![PARAMS_METADATA_KEY])).toEqual(paramsSchemaOf(Signup));
  });

  it('announces nothing, with a warning, for a schema over the limit', () => {
    const size = JSON.stringify(paramsSchemaOf(Signup)).length;
    expect(paramsAnnouncement(Signup, size)).toEqual({ metadata: expect.any(Object) });
    const over = paramsAnnouncement(Signup, size - 1);
    expect(over.metadata).toBeUndefined();
    expect(over.warning).toBe(`params schema of ${size} bytes is over ${size - 1}; not announced`);
  });

  it('announces nothing, silently, for a function without a DTO', () => {
    expect(paramsAnnouncement(Object)).toEqual({});
    expect(paramsAnnouncement(undefined)).toEqual({});
  });

  it('announces nothing, with a warning, when two nested classes share a name', () => {
    const makeInner = () => {
      class Inner {
        @IsString()
        a!: string;
      }
      return Inner;
    };
    const InnerA = makeInner();
    const InnerB = makeInner();
    class Outer {
      @ValidateNested()
      @Type(() => InnerA)
      one!: unknown;

      @ValidateNested()
      @Type(() => InnerB)
      two!: unknown;
    }
    expect(paramsAnnouncement(Outer)).toEqual({ warning: 'no params schema announced: two different classes named Inner in the params of one function' });
  });
});

describe('resultSchemaOf', () => {
  const dialect = 'https://json-schema.org/draft/2020-12/schema';

  it("is a DTO's schema, an array of one (its $defs kept at the root), or a primitive's", () => {
    expect(resultSchemaOf(Signup)).toEqual(paramsSchemaOf(Signup));
    const { $schema, $defs, ...signup } = paramsSchemaOf(Signup)!;
    expect(resultSchemaOf([Signup])).toEqual({ $schema, type: 'array', items: signup, $defs });
    expect(resultSchemaOf(String)).toEqual({ $schema: dialect, type: 'string' });
    expect(resultSchemaOf([Number])).toEqual({ $schema: dialect, type: 'array', items: { type: 'number' } });
    expect(resultSchemaOf(Boolean)).toEqual({ $schema: dialect, type: 'boolean' });
  });

  it('is undefined for anything else', () => {
    for (const type of [undefined, Object, Plain, [], [Signup, Signup], 'Signup', Date]) expect(resultSchemaOf(type)).toBeUndefined();
  });
});

describe('paramsAnnouncement of a declared result', () => {
  it('announces the result schema under nest-mesh.result, beside the params', () => {
    const { metadata } = paramsAnnouncement(Signup, undefined, [Address]);
    expect(JSON.parse(metadata![PARAMS_METADATA_KEY])).toEqual(paramsSchemaOf(Signup));
    expect(JSON.parse(metadata![RESULT_METADATA_KEY])).toEqual(resultSchemaOf([Address]));
    expect(paramsAnnouncement(undefined, undefined, Address).metadata).toEqual({ [RESULT_METADATA_KEY]: JSON.stringify(paramsSchemaOf(Address)) });
  });

  it('warns about a result type it cannot describe, and about one over the limit', () => {
    expect(paramsAnnouncement(undefined, undefined, Plain)).toEqual({ resultWarning: expect.stringContaining('not a class-validator DTO') });
    const over = paramsAnnouncement(undefined, 20, Signup);
    expect(over.metadata).toBeUndefined();
    expect(over.warning).toMatch(/^result schema of \d+ bytes is over 20; not announced$/);
  });
});

describe('@MeshFunction types', () => {
  it("hands the method's params type (when validated) and the declared result type to the transport as a handler extra", () => {
    @MeshService('typed')
    class Typed {
      @MeshFunction('signup', { result: Address })
      signup(params: Signup) {
        return params;
      }

      @MeshFunction('loose')
      loose(params: unknown) {
        return params;
      }

      @MeshFunction('unchecked', { validate: false })
      unchecked(params: Signup) {
        return params;
      }
    }
    const extra = (method: Function) => Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method)[FUNCTION_EXTRA];
    expect(extra(Typed.prototype.signup)).toEqual({ owner: Typed, method: 'signup', paramsType: Signup, resultType: Address });
    expect(extra(Typed.prototype.loose)).toEqual({ owner: Typed, method: 'loose', paramsType: Object, resultType: undefined });
    expect(extra(Typed.prototype.unchecked)).toEqual({ owner: Typed, method: 'unchecked', paramsType: undefined, resultType: undefined });
  });
});
