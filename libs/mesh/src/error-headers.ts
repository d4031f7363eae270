import { headers as natsHeaders, MsgHdrs, ServiceErrorCodeHeader, ServiceErrorHeader } from 'nats';
import { MeshHeaders } from '@nest-mesh/wire';
import { MeshError } from './mesh-error';

/**
 * The headers of an error reply (docs/protocol.md#errors): the ADR-32 pair (message, status) and the
 * mesh's code. The one place that writes them; `errorOfHeaders` is the one place that reads them.
 */
export function errorHeaders(error: MeshError): MsgHdrs {
  const headers = natsHeaders();
  headers.set(ServiceErrorHeader, error.message.replace(/[\r\n]+/g, ' '));
  headers.set(ServiceErrorCodeHeader, String(error.status));
  headers.set(MeshHeaders.errorCode, error.code);
  return headers;
}

/** The MeshError of a reply's headers, or undefined for a success. */
export function errorOfHeaders(headers: MsgHdrs | undefined): MeshError | undefined {
  const status = headers?.get(ServiceErrorCodeHeader);
  if (!status) return undefined;
  const message = headers!.get(ServiceErrorHeader) || 'function failed';
  return new MeshError(Number(status), message, headers!.get(MeshHeaders.errorCode) || undefined);
}
