/** How the dispatcher calls a trigger's function: MeshClient.call, with the event's id as a header. */
export interface EventCaller {
  call(service: string, func: string, params: unknown, options: { timeout: number; eventId: string }): Promise<unknown>;
}
