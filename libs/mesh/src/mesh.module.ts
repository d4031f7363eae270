import { Module } from '@nestjs/common';
import { MeshClient } from './calling/mesh-client';
import { MeshConnection } from './calling/mesh-connection';
import { ConfigurableMeshModule } from './mesh.module-definition';

/**
 * `MeshModule.forRoot({ servers })` or `MeshModule.forRootAsync({ useFactory, inject, imports })`
 * gives the app an injectable MeshClient, and the MeshConnection under it (global unless
 * `isGlobal: false`). Serving functions is
 * the transport's job: see `meshMicroservice`.
 */
@Module({
  providers: [MeshConnection, MeshClient],
  exports: [MeshClient, MeshConnection],
})
export class MeshModule extends ConfigurableMeshModule {}
