import { ArgumentMetadata, PipeTransform, ValidationPipe } from '@nestjs/common';
import { isDtoClass } from './params-schema';

/**
 * The mesh's validation of a function's params DTO (docs/getting-started.md#validation): what
 * discovery and OpenAPI publish as a function's params schema is enforced, with or without a
 * ValidationPipe in the app. `@MeshService` puts it on each function that takes a DTO (not with
 * `validate: false`, nor when the argument has pipes of its own), after the app's global, class and
 * method pipes: a value that is already an instance of the DTO was validated by the app's
 * transforming ValidationPipe and passes as it is; otherwise Nest's ValidationPipe with
 * `transform: true` validates it, and a failure is a 400 BAD_REQUEST listing every violation.
 * Functions without a DTO do not carry it, so their calls do not pay for it.
 */
class MeshValidationPipe implements PipeTransform {
  private pipe?: ValidationPipe;
  private readonly dtos = new WeakMap<Function, boolean>();

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const type = metadata.metatype;
    if (metadata.type !== 'body' || typeof type !== 'function' || value instanceof type || !this.isDto(type)) return value;
    this.pipe ??= new ValidationPipe({ transform: true });
    return this.pipe.transform(value, metadata);
  }

  private isDto(type: Function): boolean {
    let dto = this.dtos.get(type);
    if (dto === undefined) this.dtos.set(type, (dto = isDtoClass(type)));
    return dto;
  }
}

/** The one instance every validating function shares (its ValidationPipe is made on first use). */
export const MESH_VALIDATION: PipeTransform = new MeshValidationPipe();
