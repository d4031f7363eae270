import { PATTERN_METADATA, PARAM_ARGS_METADATA } from '@nestjs/microservices/constants';
import { MeshFunction, MeshService, meshServiceName } from './decorators';

describe('@MeshService and @MeshFunction', () => {
  @MeshService('users')
  class UsersService {
    @MeshFunction('create')
    create(params: unknown) {
      return params;
    }

    @MeshFunction('remove')
    remove() {
      return null;
    }

    helper() {
      return 1;
    }
  }

  it('serves each function on mesh.<service>.<func>', () => {
    expect(meshServiceName(UsersService)).toBe('users');
    expect(Reflect.getMetadata(PATTERN_METADATA, UsersService.prototype.create)).toEqual(['mesh.users.create']);
    expect(Reflect.getMetadata(PATTERN_METADATA, UsersService.prototype.remove)).toEqual(['mesh.users.remove']);
    expect(Reflect.getMetadata(PATTERN_METADATA, UsersService.prototype.helper)).toBeUndefined();
  });

  it('gives the two arguments the payload and context roles, so pipes apply to params', () => {
    const args = Reflect.getMetadata(PARAM_ARGS_METADATA, UsersService, 'create');
    expect(Object.values(args).map((arg: any) => arg.index).sort()).toEqual([0, 1]);
  });

  it('refuses bad names at once', () => {
    expect(() => MeshService('a.b')).toThrow('invalid mesh service name "a.b"');
    expect(() => MeshFunction('*')).toThrow('invalid mesh function name "*"');
  });

  it('refuses two methods with the same function name', () => {
    expect(() => {
      @MeshService('dup')
      class Duplicated {
        @MeshFunction('x')
        a() {}

        @MeshFunction('x')
        b() {}
      }
      return Duplicated;
    }).toThrow(`@MeshFunction('x') is on both a() and b() of service "dup"`);
  });
});
