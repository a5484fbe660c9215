// The dashboard page: polls GET /api/dashboard every second and draws it. Plain DOM, no framework;
// text from the server only ever goes through textContent.

const POLL_MS = 1000;
const HISTORY_POINTS = 120;
const throughputHistory = [];

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'style') node.style.cssText = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
  return node;
}

/** A stable colour per node id. */
function colourOf(nodeId) {
  let h = 0;
  for (const ch of nodeId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${(h * 137) % 360} 55% 42%)`;
}

const fmt = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));
const fmtMs = (ms) => (ms === null || ms === undefined ? '–' : `${ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`);
const fmtTime = (at) => new Date(at).toISOString().slice(11, 23);

function drawSummary(s) {
  $('served-by').textContent = s.servedBy;
  $('updated-at').textContent = fmtTime(s.at);
  for (const k of ['inFlight', 'completed', 'failed', 'cancelled']) $(`count-${k}`).textContent = fmt(s.orders[k]);
  // A zero is not an alarm: only counts above it get their colour.
  for (const id of ['count-failed', 'compensations']) $(id).parentElement.classList.toggle('zero', (id === 'compensations' ? s.compensations : s.orders.failed) === 0);
  $('throughput').textContent = s.throughput.completedPerSec.toFixed(1);
  $('p50').textContent = fmtMs(s.latency.p50Ms);
  $('p99').textContent = fmtMs(s.latency.p99Ms);
  $('p50').title = $('p99').title = `${s.latency.samples} orders in the last ${s.latency.windowSeconds} s (interpolated in histogram buckets)`;
  $('failed-attempts').textContent = fmt(s.retries.failedAttempts);
  $('saved-by-retry').textContent = fmt(s.retries.savedByRetry);
  const share = (n) => (s.orders.completed > 0 ? ` (${((100 * n) / s.orders.completed).toFixed(1)}% of completed)` : '');
  $('saved-by-retry').title = `completed orders that met a transient failure${share(s.retries.savedByRetry)}`;
  const fallbacks = s.fallbacks ?? { taken: 0, byDependency: {}, savedByFallback: 0 };
  $('saved-by-fallback').textContent = fmt(fallbacks.savedByFallback);
  $('saved-by-fallback').title = `completed orders that took a default fallback${share(fallbacks.savedByFallback)}`;
  $('fallbacks-taken').textContent = fmt(fallbacks.taken);
  $('fallbacks-taken').title = Object.entries(fallbacks.byDependency).map(([d, n]) => `${d}: ${n}`).join(', ') || 'none';
  $('compensations').textContent = fmt(s.compensations);
  drawStates(s.inFlightByStatus ?? {});
  throughputHistory.push(s.throughput.completedPerSec);
  if (throughputHistory.length > HISTORY_POINTS) throughputHistory.shift();
  drawChart();
  drawShardMaps(s);
  drawNodes(s);
}

// The flow's order (actors/order/checkout-flow.ts), then anything else a newer node reports.
const FLOW_STATES = ['PLACED', 'FRAUD_CHECKED', 'PAYMENT_AUTHORIZED', 'DELIVERY_CREATED', 'SENT_TO_MERCHANT', 'COMPENSATING'];

function drawStates(byStatus) {
  const states = [...FLOW_STATES, ...Object.keys(byStatus).filter((k) => !FLOW_STATES.includes(k))];
  $('states').replaceChildren(el('span', { class: 'empty' }, 'in flight by state:'), ...states.map((st) => {
    const n = byStatus[st] ?? 0;
    return el('span', { class: `state${n > 0 ? ' busy' : ''}`, 'data-state': st }, `${st.toLowerCase().replaceAll('_', ' ')} `, el('b', {}, n));
  }));
}

function drawChart() {
  const canvas = $('throughput-chart');
  const width = canvas.clientWidth || canvas.width;
  if (canvas.width !== width) canvas.width = width;
  const ctx = canvas.getContext('2d');
  const { height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const max = Math.max(1, ...throughputHistory);
  const step = width / (HISTORY_POINTS - 1);
  const offset = HISTORY_POINTS - throughputHistory.length;
  ctx.fillStyle = 'rgba(31, 138, 76, .15)';
  ctx.strokeStyle = '#1f8a4c';
  ctx.lineWidth = 2;
  ctx.beginPath();
  throughputHistory.forEach((v, i) => {
    const x = (offset + i) * step;
    const y = height - 14 - (v / max) * (height - 22);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = '#6b7385';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(`completed / s, last ${HISTORY_POINTS} s (max ${max.toFixed(1)})`, 6, height - 3);
}

function drawShardMaps(s) {
  const owners = new Map();
  for (const n of s.nodes) for (const shard of n.shards) owners.set(`${n.pool}/${shard}`, [...(owners.get(`${n.pool}/${shard}`) ?? []), n.nodeId]);
  $('shard-maps').replaceChildren(...s.pools.map((p) => {
    const boxes = Array.from({ length: p.shardCount }, (_, shard) => {
      const who = owners.get(`${p.pool}/${shard}`) ?? [];
      const owner = who[0];
      return el('div', {
        class: `shard${owner ? '' : ' unowned'}${who.length > 1 ? ' doubly' : ''}`,
        style: owner ? `background:${colourOf(owner)}` : undefined,
        'data-pool': p.pool, 'data-shard': shard, 'data-owner': who.join(','),
        title: owner ? `shard ${shard}: ${who.join(' + ')}` : `shard ${shard}: no owner right now`,
      }, el('b', {}, shard), owner ?? 'none');
    });
    const ok = p.unowned.length === 0 && p.doublyOwned.length === 0;
    const note = ok ? `all ${p.shardCount} shards owned once`
      : [p.unowned.length ? `${p.unowned.length} without owner` : '', p.doublyOwned.length ? `${p.doublyOwned.length} claimed twice` : ''].filter(Boolean).join(', ');
    return el('div', { class: 'shard-map', 'data-pool': p.pool }, el('span', { class: 'pool' }, p.pool), ...boxes,
      el('span', { class: `coverage${ok ? '' : ' bad'}`, 'data-coverage': ok ? 'complete' : 'incomplete' }, note));
  }));
}

function drawNodes(s) {
  const rows = s.nodes.map((n) => el('tr', { 'data-node': n.nodeId },
    el('td', {}, el('span', { class: 'node-name' }, el('span', { class: 'swatch', style: `background:${colourOf(n.nodeId)}` }), n.nodeId),
      n.nodeId === s.servedBy ? el('small', { class: 'empty' }, ' (this page)') : null),
    el('td', {}, n.pool),
    el('td', { class: 'shards' }, n.shards.length ? n.shards.map((sh) => el('span', { class: 'chip', style: `background:${colourOf(n.nodeId)}` }, sh)) : el('span', { class: 'empty' }, 'none')),
    el('td', { class: 'num' }, n.completedPerSec.toFixed(1)),
    el('td', { class: 'mono' }, n.adminAddress),
    el('td', { class: 'mono' }, n.grpcAddress),
    el('td', { class: 'num' }, `${(n.ageMs / 1000).toFixed(1)} s ago`),
    el('td', {}, el('button', { class: 'danger stop', disabled: !token(), title: 'graceful stop (as SIGTERM)', onclick: () => stopNode(n.nodeId) }, 'Stop')),
  ));
  $('nodes').tBodies[0].replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 8, class: 'empty' }, 'no live node has written its status'))]));
}

// Everything under api/ needs an operator or admin token; a refusal says so where the token is typed.
function api(path, init = {}) {
  return fetch(path, { cache: 'no-store', ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token()}` } });
}

function showAuthState(status) {
  const state = $('auth-state');
  const refused = status === 401 || status === 403;
  state.className = refused ? 'bad' : 'ok';
  state.dataset.auth = refused ? 'refused' : 'ok';
  state.textContent = !refused ? 'signed in'
    : token() === '' ? 'paste an operator or admin token to see the cluster'
    : status === 403 ? 'this token may not read the dashboard: use an operator or admin token' : 'token refused (expired or not from this cluster)';
}

let choicesLoaded = false;

async function poll() {
  try {
    const res = await api('api/dashboard');
    showAuthState(res.status);
    if (!res.ok) throw new Error(`${res.status}`);
    drawSummary(await res.json());
    $('live').className = 'dot on';
    if (!choicesLoaded) choicesLoaded = await loadFaultChoices();
  } catch {
    $('live').className = 'dot off';
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

async function showTimeline(event) {
  event.preventDefault();
  const orderId = $('order-id').value.trim();
  const out = $('timeline');
  out.replaceChildren(el('p', { class: 'empty' }, 'loading…'));
  const res = await api(`api/orders/${encodeURIComponent(orderId)}`);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) { out.replaceChildren(el('p', { class: 'empty', 'data-timeline': 'missing' }, body.message ?? `error ${res.status}`)); return; }
  const writers = [...new Set(body.entries.map((e) => e.writer))];
  out.replaceChildren(
    el('p', { class: 'timeline-head' }, el('span', { class: 'mono' }, body.orderId), ' is ', el('span', { class: `status ${body.status}`, 'data-status': body.status }, body.status),
      ` · ${body.entries.length} events written by ${writers.join(', ')}`),
    el('table', { id: 'timeline-table' },
      el('thead', {}, el('tr', {}, ['#', 'time (UTC)', '+ms', 'event', 'step', 'attempt', 'written by', 'detail'].map((h) => el('th', {}, h)))),
      el('tbody', {}, body.entries.map((e) => el('tr', { class: `type-${e.type}`, 'data-seq': e.seq, 'data-writer': e.writer },
        el('td', { class: 'num' }, e.seq), el('td', { class: 'num' }, fmtTime(e.at)), el('td', { class: 'num' }, e.sinceStartMs),
        el('td', { class: 'type' }, e.type), el('td', {}, e.step ?? ''), el('td', { class: 'num' }, e.attempt ?? ''),
        el('td', {}, el('span', { class: 'node-name' }, el('span', { class: 'swatch', style: `background:${colourOf(e.writer)}` }), e.writer)),
        el('td', {}, e.detail))))));
}

// The token lives only in this tab (sessionStorage), never in a cookie: nothing sends it unasked.
const token = () => $('token').value.trim();

async function admin(path, body) {
  const result = $('admin-result');
  const res = await api(path, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}),
  }).catch((err) => ({ ok: false, status: 0, json: async () => ({ message: String(err) }) }));
  const answer = await res.json().catch(() => ({}));
  result.className = res.ok ? 'ok' : 'bad';
  result.textContent = res.ok ? `done: ${JSON.stringify(answer)}` : `refused (${res.status}): ${answer.message ?? answer.error ?? 'no answer'}`;
  return res.ok;
}

function stopNode(nodeId) {
  if (!confirm(`Stop ${nodeId}? It hands its shards over and exits, as on SIGTERM.`)) return;
  void admin(`api/admin/nodes/${encodeURIComponent(nodeId)}/stop`);
}

async function loadFaultChoices() {
  const res = await api('api/fault-choices').catch(() => undefined);
  if (!res?.ok) return false;
  const choices = await res.json();
  $('fault-target').replaceChildren(...choices.targets.map((t) => el('option', { value: t }, t)));
  $('fault-kind').replaceChildren(...choices.kinds.map((k) => el('option', { value: k }, k)));
  return true;
}

function setUpAdmin() {
  // Asked once per tab: the token is kept in this tab's sessionStorage and sent with every api/ call.
  const input = $('token');
  input.value = sessionStorage.getItem('checkout-token') ?? '';
  input.addEventListener('input', () => sessionStorage.setItem('checkout-token', token()));
  $('faults').addEventListener('submit', (event) => {
    event.preventDefault();
    void admin('api/admin/faults', { rules: [{ target: $('fault-target').value, kind: $('fault-kind').value, rate: Number($('fault-rate').value), firstCalls: Number($('fault-first').value) }] });
  });
  $('faults-clear').addEventListener('click', () => void admin('api/admin/faults', { rules: [] }));
}

$('search').addEventListener('submit', (event) => void showTimeline(event));
setUpAdmin();
void poll();
