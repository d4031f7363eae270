import { codeForStatus, MESH_CODES, MeshCodes } from './codes';

describe('codes', () => {
  it('gives the conventional code of a status, as HTTP names it, with the mesh own names for 401, 500 and 504', () => {
    expect(codeForStatus(401)).toBe('UNAUTHENTICATED');
    expect(codeForStatus(403)).toBe('FORBIDDEN');
    expect(codeForStatus(404)).toBe('NOT_FOUND');
    expect(codeForStatus(413)).toBe('PAYLOAD_TOO_LARGE');
    expect(codeForStatus(503)).toBe('SERVICE_UNAVAILABLE');
    expect(codeForStatus(504)).toBe('TIMEOUT');
    expect(codeForStatus(500)).toBe('INTERNAL');
    expect(codeForStatus(499)).toBe('BAD_REQUEST');
    expect(codeForStatus(599)).toBe('INTERNAL');
  });

  it('names every code of the catalogue by itself, with an error status', () => {
    for (const [code, { status }] of Object.entries(MESH_CODES)) {
      expect(MeshCodes[code as keyof typeof MeshCodes]).toBe(code);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThanOrEqual(599);
    }
  });
});
