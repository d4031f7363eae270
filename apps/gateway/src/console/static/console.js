// The nest-mesh console (docs/discovery.md): plain browser JavaScript, no build step.
// It reads GET <root>/console/api/services, calls functions through the gateway's own HTTP API,
// and shows the eventing admin routes when the gateway has them. Data from services is always
// put in the page as text (textContent), never as HTML.
(function () {
  'use strict';

  const root = location.pathname.replace(/\/console(\/(index\.html)?)?$/, '');
  const $ = (id) => document.getElementById(id);
  let overview = null;
  const functions = new Map(); // "service.func" -> { service, func }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function row(cells) {
    const tr = document.createElement('tr');
    for (const cell of cells) {
      if (cell instanceof Node) {
        const td = document.createElement('td');
        td.appendChild(cell);
        tr.appendChild(td);
      } else {
        tr.appendChild(el('td', cell));
      }
    }
    return tr;
  }

  function bearer(input) {
    const token = $(input).value.trim();
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  async function fetchJson(url, options) {
    const response = await fetch(url, options);
    const text = await response.text();
    let body = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch (_) {
      // not JSON: shown as text
    }
    return { status: response.status, body, requestId: response.headers.get('X-Request-Id') };
  }

  // ---- services ----

  async function refresh() {
    $('status').textContent = 'loading…';
    try {
      const res = await fetchJson(root + '/console/api/services', { cache: 'no-store' });
      if (res.status !== 200) throw new Error((res.body && res.body.error) || 'HTTP ' + res.status);
      overview = res.body;
      render();
      $('status').textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (error) {
      $('status').textContent = 'discovery failed: ' + error.message;
    }
  }

  function instanceStats(instance) {
    let requests = 0, errors = 0, processing = 0, lastError = '';
    for (const stats of Object.values(instance.stats || {})) {
      requests += stats.requests;
      errors += stats.errors;
      processing += stats.processingMs;
      if (stats.lastError) lastError = stats.lastError;
    }
    const average = requests > 0 ? (processing / requests).toFixed(2) : '–';
    return { requests, errors, average, lastError };
  }

  function tokenPill(token) {
    const pill = el('span', token === 'none' ? 'not needed' : token, 'pill ' + (token === 'required' ? 'warn' : token === 'optional' ? '' : 'ok'));
    return pill;
  }

  function schemaCell(fn) {
    const box = document.createDocumentFragment();
    if (fn.params === null) {
      box.appendChild(el('span', 'any JSON', 'muted'));
    } else {
      const details = el('details');
      details.appendChild(el('summary', 'schema'));
      details.appendChild(el('pre', JSON.stringify(fn.params, null, 2)));
      box.appendChild(details);
    }
    if (fn.conflicts) {
      const text = 'instances disagree: ' + fn.conflicts.map((c) => c.instances.join(', ')).join(' | ');
      box.appendChild(el('div', text, 'conflict'));
    }
    const wrap = el('div');
    wrap.appendChild(box);
    return wrap;
  }

  function render() {
    $('project').textContent = 'project ' + overview.project;
    const list = $('services');
    list.replaceChildren();
    functions.clear();
    const template = $('service-template');
    for (const service of overview.services) {
      const card = template.content.firstElementChild.cloneNode(true);
      card.dataset.service = service.name;
      card.querySelector('.name').textContent = service.name;
      card.querySelector('.version').textContent = service.version;
      if (service.versionConflicts) {
        const text = 'instances disagree: ' + service.versionConflicts.map((c) => c.version + ' (' + c.instances.join(', ') + ')').join(' | ');
        card.querySelector('.version').appendChild(el('span', ' (instances disagree)', 'conflict')).title = text;
      }
      card.querySelector('.count').textContent = service.instances.length + (service.instances.length === 1 ? ' instance' : ' instances');
      const instances = card.querySelector('.instances tbody');
      for (const instance of service.instances) {
        const s = instanceStats(instance);
        const tr = row([instance.id + (instance.info ? '' : ' (no INFO)'), instance.version, instance.started ? new Date(instance.started).toLocaleString() : '–', s.requests, s.errors, s.average, s.lastError || '–']);
        for (const i of [3, 4, 5]) tr.children[i].className = 'num';
        tr.children[2].className = 'nowrap';
        instances.appendChild(tr);
      }
      const funcs = card.querySelector('.functions tbody');
      for (const fn of service.functions) {
        functions.set(service.name + '.' + fn.name, { service: service.name, fn });
        const tryButton = el('button', 'Try', 'secondary');
        tryButton.type = 'button';
        tryButton.addEventListener('click', () => choose(service.name + '.' + fn.name, true));
        const tr = row([el('code', fn.name), fn.rule.kind, tokenPill(fn.rule.token), schemaCell(fn), tryButton]);
        tr.title = fn.rule.path;
        funcs.appendChild(tr);
      }
      list.appendChild(card);
    }
    $('services-empty').hidden = overview.services.length > 0;
    const problems = overview.problems || [];
    $('problems-box').hidden = problems.length === 0;
    $('problems-count').textContent = String(problems.length);
    $('problems').replaceChildren(...problems.map((p) => el('li', p)));
    fillTargets();
  }

  // ---- calls ----

  function fillTargets() {
    const select = $('call-target');
    const previous = select.value;
    select.replaceChildren(...[...functions.keys()].map((key) => el('option', key)));
    if (functions.has(previous)) select.value = previous;
    else if (select.options.length > 0) choose(select.options[0].value, true);
    describeTarget();
  }

  function choose(key, prefill) {
    $('call-target').value = key;
    const target = functions.get(key);
    if (prefill && target) $('call-params').value = JSON.stringify(example(target.fn.params, target.fn.params, 0), null, 2);
    describeTarget();
    if (prefill) $('call-section').scrollIntoView({ block: 'nearest' });
  }

  function describeTarget() {
    const target = functions.get($('call-target').value);
    $('call-rule').textContent = target ? 'rule: ' + target.fn.rule.kind + ', token ' + (target.fn.rule.token === 'none' ? 'not needed' : target.fn.rule.token) : '';
  }

  /** A small params example from a JSON Schema: the required properties with plain values. */
  function example(schema, rootSchema, depth) {
    if (!schema || typeof schema !== 'object' || depth > 4) return null;
    if (typeof schema.$ref === 'string') {
      const name = schema.$ref.replace('#/$defs/', '');
      return example((rootSchema.$defs || {})[name], rootSchema, depth + 1);
    }
    if (schema.enum) return schema.enum[0];
    switch (schema.type) {
      case 'string': return schema.format === 'email' ? 'ada@example.com' : 'text';
      case 'integer':
      case 'number': return typeof schema.minimum === 'number' ? schema.minimum : 0;
      case 'boolean': return false;
      case 'array': return [];
      case 'object': {
        const out = {};
        for (const key of schema.required || []) out[key] = example((schema.properties || {})[key], rootSchema, depth + 1);
        return out;
      }
      default: return null;
    }
  }

  async function call(event) {
    event.preventDefault();
    const target = functions.get($('call-target').value);
    if (!target) return;
    let params;
    try {
      params = JSON.parse($('call-params').value || 'null');
    } catch (error) {
      show(null, 'params are not valid JSON: ' + error.message, null, 0);
      return;
    }
    const body = { params };
    const timeout = $('call-timeout').value;
    if (timeout) body.timeout = Number(timeout);
    $('call-send').disabled = true;
    const started = performance.now();
    try {
      const url = root + '/v1/api/' + encodeURIComponent(overview.project) + '/functions/' + encodeURIComponent(target.service) + '/' + encodeURIComponent(target.fn.name);
      if ($('call-stream').checked) {
        $('call-send').disabled = false;
        await callStream(url, body, started);
        return;
      }
      const res = await fetchJson(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...bearer('token') }, body: JSON.stringify(body) });
      show(res.status, res.body, res.requestId, performance.now() - started);
    } catch (error) {
      show(null, 'the gateway did not answer: ' + error.message, null, performance.now() - started);
    } finally {
      $('call-send').disabled = false;
    }
  }

  /** The stream being shown; a new call stops it (the gateway then stops the function). */
  let streaming = null;

  /** A call with `Accept: text/event-stream` (docs/protocol.md#streams-over-http): each item is shown as it arrives. */
  async function callStream(url, body, started) {
    if (streaming) streaming.abort();
    const controller = new AbortController();
    streaming = controller;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...bearer('token') },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    const requestId = response.headers.get('X-Request-Id');
    if (!(response.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
      const text = await response.text();
      let answer = text;
      try {
        answer = JSON.parse(text);
      } catch (_) {
        // not JSON: shown as text
      }
      show(response.status, answer, requestId, performance.now() - started);
      return;
    }
    const lines = [];
    show(response.status, '', requestId, performance.now() - started);
    $('call-status').textContent = response.status + ' · streaming';
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = '';
    let over = false;
    while (!over) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (streaming !== controller) return; // stopped for another call
        lines.push('the stream was cut off: ' + error.message);
        break;
      }
      if (chunk.done) break;
      pending += decoder.decode(chunk.value, { stream: true });
      let at;
      while ((at = pending.indexOf('\n\n')) !== -1) {
        const block = pending.slice(0, at);
        pending = pending.slice(at + 2);
        let name = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
        if (name === 'item') {
          lines.push(data.join('\n'));
        } else if (name === 'end') {
          lines.push('— end: ' + JSON.parse(data.join('\n')).count + ' items');
          over = true;
        } else if (name === 'error') {
          const error = JSON.parse(data.join('\n'));
          lines.push('— error ' + error.status + ' ' + error.code + ': ' + error.error);
          $('call-status').className = 'pill bad';
          over = true;
        }
      }
      $('call-output').textContent = lines.join('\n');
      $('call-meta').textContent = (requestId ? 'request ' + requestId + ' · ' : '') + lines.length + ' lines · ' + Math.round(performance.now() - started) + ' ms';
    }
    if (streaming === controller) {
      streaming = null;
      $('call-status').textContent = String(response.status);
    }
  }

  function show(status, body, requestId, ms) {
    $('call-result').hidden = false;
    const pill = $('call-status');
    pill.textContent = status === null ? 'error' : String(status);
    pill.className = 'pill ' + (status === 200 ? 'ok' : 'bad');
    $('call-meta').textContent = (requestId ? 'request ' + requestId + ' · ' : '') + Math.round(ms) + ' ms';
    $('call-output').textContent = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  }

  // ---- events (when the gateway has eventing) ----

  function eventsUrl(suffix) {
    return root + '/v1/api/' + encodeURIComponent(overview ? overview.project : '') + '/eventing/events' + suffix;
  }

  /** The listing shown: its status, and the cursor of its next page (null on the last; docs/events.md). */
  let listed = { status: 'dead', next: null };

  /** The first page of the chosen status; with `more`, the next page of the listing shown, added below it. */
  async function loadEvents(more) {
    const note = $('events-note');
    const table = $('events-table');
    const cursor = more === true ? listed.next : null;
    const status = cursor ? listed.status : $('events-status').value;
    // A page that fails leaves the rows already shown (and their cursor, to try again) in place.
    const fail = (text) => {
      note.textContent = text;
      if (cursor) $('events-more').hidden = false;
      else table.hidden = true;
    };
    $('events-more').hidden = true;
    let res;
    try {
      const query = '?status=' + encodeURIComponent(status) + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
      res = await fetchJson(eventsUrl(query), { headers: bearer('admin-token'), cache: 'no-store' });
    } catch (error) {
      return fail('the gateway did not answer: ' + error.message);
    }
    if (res.status === 404) {
      $('events-load').disabled = true;
      return fail('Eventing is not enabled on this gateway.');
    }
    if (res.status === 401 || res.status === 403) {
      return fail('Listing events needs an admin token (a token whose claims satisfy eventing.admin): ' + res.status + '.');
    }
    const body = res.body || {};
    if (res.status !== 200) return fail('Listing events failed: ' + res.status + ' ' + (body.error || ''));
    listed = { status, next: typeof body.next === 'string' ? body.next : null };
    const rows = (body.events || []).map(eventRow);
    if (cursor) $('events').append(...rows);
    else $('events').replaceChildren(...rows);
    const shown = $('events').children.length;
    note.textContent = shown + ' ' + status + ' event(s)' + (listed.next ? ' shown; there are more.' : '.');
    table.hidden = shown === 0;
    $('events-more').hidden = listed.next === null;
  }

  function eventRow(event) {
    const retry = el('button', 'Re-drive', 'secondary');
    retry.type = 'button';
    retry.addEventListener('click', async () => {
      retry.disabled = true;
      const res = await fetchJson(eventsUrl('/' + encodeURIComponent(event.id) + '/retry'), { method: 'POST', headers: { 'Content-Type': 'application/json', ...bearer('admin-token') }, body: '{}' });
      retry.textContent = res.status < 300 ? 're-driven' : 'failed: ' + res.status;
      if (res.status < 300) setTimeout(() => loadEvents(false), 500);
    });
    const attempts = event.attempts !== undefined ? event.attempts : event.attempt;
    const lastError = event.lastError || event.error || event.last_error || '';
    const time = event.time || event.createdAt || event.updatedAt || '';
    return row([event.id, event.type || '', attempts === undefined ? '' : attempts, typeof lastError === 'string' ? lastError : JSON.stringify(lastError), time, retry]);
  }

  // ---- wiring ----

  $('token').value = sessionStorage.getItem('nest-mesh.token') || '';
  $('admin-token').value = sessionStorage.getItem('nest-mesh.admin-token') || '';
  $('token').addEventListener('change', () => sessionStorage.setItem('nest-mesh.token', $('token').value));
  $('admin-token').addEventListener('change', () => sessionStorage.setItem('nest-mesh.admin-token', $('admin-token').value));
  $('refresh').addEventListener('click', refresh);
  $('call-form').addEventListener('submit', call);
  $('call-target').addEventListener('change', () => choose($('call-target').value, true));
  $('events-load').addEventListener('click', () => loadEvents(false));
  $('events-more').addEventListener('click', () => loadEvents(true));
  $('events-status').addEventListener('change', () => loadEvents(false));
  refresh().then(() => loadEvents(false));
  setInterval(() => document.visibilityState === 'visible' && refresh(), 10000);
})();
