import { Catch, ExceptionFilter, Injectable, PipeTransform, UseFilters, UsePipes, ValidationPipe } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, PATH_METADATA, PIPES_METADATA } from '@nestjs/common/constants';
import { Payload } from '@nestjs/microservices';
import { PATTERN_METADATA, PARAM_ARGS_METADATA } from '@nestjs/microservices/constants';
import { IsString } from 'class-validator';
import { MeshFunction, MeshService, meshServiceName } from './decorators';
import { MESH_EXCEPTION_PROBE } from './exception-probe';
import { MESH_VALIDATION } from './validation';

class Dto {
  @IsString()
  name!: string;
}

@Catch()
class MethodFilter implements ExceptionFilter {
  catch() {
    return 'handled';
  }
}

@Injectable()
class OwnPipe implements PipeTransform {
  transform(value: unknown) {
    return value;
  }
}

describe('@MeshService and @MeshFunction', () => {
  @MeshService('users')
  class UsersService {
    @MeshFunction('create')
    create(params: Dto) {
      return params;
    }

    @MeshFunction('remove')
    remove() {
      return null;
    }

    @UseFilters(MethodFilter)
    @UsePipes(OwnPipe)
    @MeshFunction('filtered')
    filtered(params: Dto) {
      return params;
    }

    @MeshFunction('unchecked', { validate: false })
    unchecked(params: Dto) {
      return params;
    }

    @MeshFunction('ownPipe')
    ownPipe(@Payload(new ValidationPipe()) params: Dto) {
      return params;
    }

    helper() {
      return 1;
    }
  }

  @MeshService('loose', { validate: false })
  class LooseService {
    @MeshFunction('take')
    take(params: Dto) {
      return params;
    }

    @MeshFunction('checked', { validate: true })
    checked(params: Dto) {
      return params;
    }
  }

  const filtersOf = (method: Function) => Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, method) ?? [];
  const pipesOf = (method: Function) => Reflect.getMetadata(PIPES_METADATA, method) ?? [];

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

  it('makes the class a controller without HTTP paths (no routes, nothing in the routes log)', () => {
    expect(Reflect.getMetadata(PATH_METADATA, UsersService)).toEqual([]);
  });

  it("puts the exception probe last among a function's filters (Nest asks it first) and no filter on the class", () => {
    expect(filtersOf(UsersService.prototype.create)).toEqual([MESH_EXCEPTION_PROBE]);
    expect(filtersOf(UsersService.prototype.filtered)).toEqual([MethodFilter, MESH_EXCEPTION_PROBE]);
    expect(Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, UsersService)).toBeUndefined();
  });

  it("validates a DTO after the function's own pipes, unless told not to or the argument has pipes of its own", () => {
    expect(pipesOf(UsersService.prototype.create)).toEqual([MESH_VALIDATION]);
    expect(pipesOf(UsersService.prototype.filtered)).toEqual([OwnPipe, MESH_VALIDATION]);
    expect(pipesOf(UsersService.prototype.remove)).toEqual([]);
    expect(pipesOf(UsersService.prototype.unchecked)).toEqual([]);
    expect(pipesOf(UsersService.prototype.ownPipe)).toEqual([]);
    expect(pipesOf(LooseService.prototype.take)).toEqual([]);
    expect(pipesOf(LooseService.prototype.checked)).toEqual([MESH_VALIDATION]);
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
