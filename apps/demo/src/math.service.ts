import { IsNumber } from 'class-validator';
import { MeshError, MeshFunction, MeshService } from 'nest-mesh';

export class Operands {
  @IsNumber()
  a!: number;

  @IsNumber()
  b!: number;
}

@MeshService('math')
export class MathService {
  @MeshFunction('add')
  add({ a, b }: Operands): number {
    return a + b;
  }

  @MeshFunction('divide')
  divide({ a, b }: Operands): number {
    if (b === 0) throw new MeshError(400, 'cannot divide by zero', 'DIVISION_BY_ZERO');
    return a / b;
  }
}
