import { IsOptional, IsString, MaxLength } from 'class-validator';
import { MeshContext, MeshFunction, MeshService } from 'nest-mesh';

export class HelloParams {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;
}

@MeshService('greeter')
export class GreeterService {
  @MeshFunction('hello')
  hello(params: HelloParams, ctx: MeshContext): { greeting: string; requestId: string } {
    return { greeting: `Hello, ${params?.name ?? 'world'}!`, requestId: ctx.requestId };
  }
}
