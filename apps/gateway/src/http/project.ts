import { MeshCodes } from '@nest-mesh/wire';
import { MeshError } from 'nest-mesh';

/** Every project route answers 404 PROJECT_NOT_FOUND for a `{project}` that is not the gateway's (docs/protocol.md). */
export function checkProject(project: string | undefined, projectId: string): void {
  if (project !== projectId) throw new MeshError(404, `project "${project}" not found`, MeshCodes.PROJECT_NOT_FOUND);
}
