import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { MeshOptions } from './options';

export const {
  ConfigurableModuleClass: ConfigurableMeshModule,
  MODULE_OPTIONS_TOKEN: MESH_OPTIONS,
  OPTIONS_TYPE: MESH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: MESH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MeshOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
