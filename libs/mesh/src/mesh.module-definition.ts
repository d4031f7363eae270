import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { MeshOptions } from './options';

/**
 * `MESH_OPTIONS`: the injection token of the MeshOptions given to `MeshModule.forRoot(Async)`.
 * The rest is Nest's ConfigurableModuleBuilder output behind MeshModule.
 */
export const {
  ConfigurableModuleClass: ConfigurableMeshModule,
  MODULE_OPTIONS_TOKEN: MESH_OPTIONS,
  OPTIONS_TYPE: MESH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: MESH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MeshOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
