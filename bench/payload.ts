/**
 * The echo every system answers: ~100 bytes of JSON params. nest-mesh, the plain Nest controller and
 * the node:http forwarder take `{"params": PARAMS}` and answer `{"result": PARAMS}`; moleculer-web
 * takes PARAMS as its body and answers PARAMS; plain NATS sends and gets back PARAMS.
 */
export const PARAMS = {
  user: 'ada@example.com',
  id: 123456,
  tags: ['alpha', 'beta', 'gamma'],
  active: true,
  score: 98.6,
  note: 'bench',
};

export const PARAMS_JSON = JSON.stringify(PARAMS);
export const ENVELOPE_JSON = JSON.stringify({ params: PARAMS });
