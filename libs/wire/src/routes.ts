/** The HTTP routes of the gateway (docs/protocol.md, docs/events.md, docs/discovery.md). */

/** The path every project route starts with. */
export const API_PREFIX = 'v1/api';

/** The root of every project route, as a route pattern; `:project` is the project id. */
export const API_ROOT = `${API_PREFIX}/:project`;

/** Routes under `API_ROOT`. A call answers under both `functions/` and `services/`. */
export const ApiRoutes = {
  call: 'functions/:service/:func',
  callAlias: 'services/:service/:func',
  services: 'services',
  openApi: 'openapi.json',
  eventingQueue: 'eventing/queue',
  eventingEvents: 'eventing/events',
} as const;

/** The URL path of a project's route: `apiPath('demo', 'functions/users/create')` is `/v1/api/demo/functions/users/create`. */
export function apiPath(project: string, route: string): string {
  return `/${API_PREFIX}/${encodeURIComponent(project)}/${route}`;
}

/** The Content-Type of every JSON answer of the gateway. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
