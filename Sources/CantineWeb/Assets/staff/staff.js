'use strict';
// The staff dashboard: reads /api/*, listens to /api/stream, posts actions with the CSRF token.
// Uses $, el, clear and the words of the site's language (strings) from /common.js.
let me = null;
let t = strings('fr');
/** A word of the site's language for `key` (the key itself when the table has none). */
function word(key) { return typeof t[key] === 'string' ? t[key] : key; }
/** Sets the page's fixed words in the site's language. */
function translate() {
  document.documentElement.lang = me.locale === 'en' ? 'en' : 'fr';
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = word(node.dataset.t);
  for (const node of document.querySelectorAll('[data-t-placeholder]')) node.placeholder = word(node.dataset.tPlaceholder);
}
let refreshTimer = null;
function hhmm(iso) {
  return iso ? new Date(iso).toLocaleTimeString('fr-FR', {hour: '2-digit', minute: '2-digit', timeZone: me.time_zone}) : '';
}
async function get(path) {
  const r = await fetch(path, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
  if (r.status === 401) { location.href = '/login?next=/staff'; throw new Error('signed out'); }
  if (!r.ok) throw new Error((await r.json()).error || r.statusText);
  return r.json();
}
async function post(path, fields) {
  const body = new URLSearchParams(fields || {});
  const r = await fetch(path, {method: 'POST', credentials: 'same-origin', body,
    headers: {'X-CSRF-Token': me.csrf, 'Content-Type': 'application/x-www-form-urlencoded'}});
  const answer = await r.json().catch(() => ({error: r.statusText}));
  return {ok: r.ok, answer};
}
function flash(text, ok) { const f = $('flash'); f.textContent = text; f.className = ok ? 'ok' : 'error'; }
function options(select, items, blank) {
  const keep = select.value;
  clear(select);
  if (blank !== undefined) select.appendChild(new Option(blank, ''));
  for (const [value, label] of items) select.appendChild(new Option(label, value));
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

let zoneNames = new Map();
const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attributes, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}
/** What a desk's cell tells on hover and focus: its state, its booking, its sensor. */
function deskText(d) {
  const parts = [d.name + ' : ' + word(d.status)];
  if (d.booking) parts.push((d.booking.member_name || d.booking.member) + ', ' + hhmm(d.booking.start) + '–' + hhmm(d.booking.end));
  parts.push(word('sensor') + ' : ' + (d.node || '—') + (d.last_report_at ? ', ' + when(d.last_report_at) : ''));
  return parts.join(' — ');
}
/** The floor plan: desks and rooms where they are, each reachable by keyboard. */
function renderFloor(plan) {
  const floor = clear($('floor'));
  const drawing = svg('svg', {viewBox: [-0.1, -0.1, plan.width + 0.2, plan.height + 0.2].join(' '), role: 'group',
    'aria-label': word('floor'), class: 'plan'});
  drawing.style.aspectRatio = (plan.width + 0.2) + ' / ' + (plan.height + 0.2);
  for (const z of plan.zones) drawing.appendChild(svg('text', {x: z.x, y: z.y, class: 'zone-name'}, zoneNames.get(z.zone) || z.name));
  const detail = $('floor-detail');
  function place(g, text) {
    g.setAttribute('tabindex', '0'); g.setAttribute('role', 'img'); g.setAttribute('aria-label', text);
    g.appendChild(svg('title', {}, text));
    for (const type of ['focus', 'mouseenter', 'click']) g.addEventListener(type, () => { detail.textContent = text; });
    drawing.appendChild(g);
  }
  for (const {desk: d, place: p} of plan.desks) {
    const g = svg('g', {class: 'desk-cell', 'data-desk': d.desk, 'data-status': d.status});
    g.appendChild(svg('rect', {x: p.x, y: p.y, width: p.width, height: p.height, rx: 0.12, class: d.status}));
    g.appendChild(svg('text', {x: p.x + p.width / 2, y: p.y + p.height / 2 + 0.13, class: 'desk-name'}, d.name));
    place(g, deskText(d));
  }
  for (const {room: r, place: p} of plan.rooms) {
    const state = r.busy ? 'busy' : 'free';
    const g = svg('g', {class: 'room-cell', 'data-room': r.room, 'data-status': state});
    g.appendChild(svg('rect', {x: p.x, y: p.y, width: p.width, height: p.height, rx: 0.15, class: 'room ' + state}));
    g.appendChild(svg('text', {x: p.x + 0.2, y: p.y + 0.55, class: 'room-name', 'data-fit': p.width - 0.35}, r.name));
    // Short enough for its box: the state, and until when.
    const status = (r.busy ? word('busy') : word('free')) + (r.until ? ' → ' + hhmm(r.until) : '');
    g.appendChild(svg('text', {x: p.x + 0.2, y: p.y + 1.1, class: 'room-status', 'data-fit': p.width - 0.35}, status));
    place(g, r.name + ' : ' + status + (r.occupancy ? ' — ' + word('sensor') + ' : ' + word(r.occupancy) : ''));
  }
  floor.appendChild(drawing);
  // A name longer than its box is cut with an ellipsis, measured as drawn (whole in the title
  // and the detail line).
  for (const text of drawing.querySelectorAll('text[data-fit]')) {
    const fit = Number(text.dataset.fit);
    let name = text.textContent;
    while (name.length > 1 && text.getComputedTextLength() > fit) {
      name = name.slice(0, -1);
      text.textContent = name.trimEnd() + '…';
    }
  }
  const desks = plan.desks.map((x) => x.desk);
  options($('desk-choice'), desks.map((d) => [d.desk, d.name + ' (' + (zoneNames.get(d.zone) || d.zone) + ')']));
}
let roomNames = new Map();
/** The rooms' names (the plan draws the rooms) and the room pickers. */
function renderRooms(rooms) {
  roomNames = new Map(rooms.map((r) => [r.room, r.name]));
  for (const s of document.querySelectorAll('.room-choice')) options(s, rooms.map((r) => [r.room, r.name]), word('wholeSite'));
}
function renderDoors(doors) {
  const ul = clear($('doors'));
  for (const d of doors) {
    const li = el('li', null, d.name + ': ' + word(d.state));
    li.dataset.door = d.door;
    if (d.alarms.length) li.appendChild(el('span', 'alarm', ' ' + word('alarm') + ' : ' + d.alarms.join(', ')));
    const b = el('button', null, word('unlockAsk')); b.type = 'button';
    b.addEventListener('click', () => {
      const f = $('unlock-form'); f.hidden = false; f.dataset.action = '/api/doors/' + encodeURIComponent(d.door) + '/unlock';
      $('unlock-door').textContent = d.name; f.reset();
    });
    li.append(' ', b); ul.appendChild(li);
  }
  options($('log-door'), doors.map((d) => [d.door, d.name]), word('allDoors'));
}
/** A time as the site's clocks show it, with its date when it is not today. */
function when(iso) {
  if (!iso) return '';
  const day = new Date(iso).toLocaleDateString('en-CA', {timeZone: me.time_zone});
  return (day === me.today ? '' : day + ' ') + hhmm(iso);
}
/** A finding's detail in the site's language (the core's words are English). */
function detailText(detail) {
  let m;
  if ((m = /^not checked in by (\d\d:\d\d)$/.exec(detail))) return t.notCheckedInBy(m[1]);
  if ((m = /^occupied (\d+) min past the end$/.exec(detail))) return t.minutesPast(m[1]);
  if ((m = /^(\d+) present, capacity (\d+)$/.exec(detail))) return t.overCapacity(m[1], m[2]);
  return word(detail);
}
/** Findings that need someone now, grouped by kind and cause: one line and one action per group. */
function renderFindings(findings) {
  const ul = clear($('findings'));
  const open = findings.filter((f) => f.state === 'raised');
  $('findings-count').textContent = open.length ? '(' + open.length + ')' : '';
  if (!open.length) ul.appendChild(el('li', null, word('nothing')));
  const groups = new Map();
  for (const f of open) {
    const key = f.kind + '|' + f.detail;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(f);
  }
  for (const group of groups.values()) {
    const f = group[0];
    const subjects = group.map((g) => (g.desk || roomNames.get(g.room) || g.room || '') + (g.member_name ? ' (' + g.member_name + ')' : ''))
      .filter((s) => s).join(', ');
    const first = group.map((g) => g.raised_at).sort()[0];
    const li = el('li', null, (group.length > 1 ? group.length + ' × ' : '') + word(f.kind) + ' — ' + detailText(f.detail)
      + (subjects ? ' : ' + subjects : '') + ', ' + t.sinceTime(when(first)));
    li.dataset.finding = f.id;
    li.dataset.count = String(group.length);
    const actions = f.actions.filter((a) => group.length === 1 || a !== 'attach');
    for (const action of actions) {
      const b = el('button', null, group.length > 1 ? t.allOf(word(action)) : word(action)); b.type = 'button';
      b.addEventListener('click', async () => {
        const fields = {action};
        if (action === 'attach') { const m = await pickMember(); if (!m) return; fields.member = m; }
        let last = null;
        for (const g of group) {
          last = await post('/api/findings/' + encodeURIComponent(g.id) + '/resolve', fields);
          if (!last.ok) break;
        }
        flash(last.ok ? (group.length > 1 ? t.findingsDone(group.length, word(action)) : last.answer.message) : last.answer.error, last.ok);
        refresh();
      });
      li.append(' ', b);
    }
    ul.appendChild(li);
  }
}
function renderPresence(people) {
  $('presence-count').textContent = '(' + people.length + ')';
  const body = clear($('presence'));
  for (const p of people) {
    const tr = el('tr');
    tr.dataset.member = p.member;
    const left = el('button', null, word('markLeft')); left.type = 'button';
    left.title = word('markLeftHint');
    left.addEventListener('click', async () => {
      const {ok, answer} = await post('/api/presence/' + encodeURIComponent(p.member) + '/leave');
      flash(ok ? answer.message : answer.error, ok); refresh();
    });
    const action = el('td'); action.appendChild(left);
    tr.append(el('td', null, p.name || p.member), el('td', null, when(p.since)),
      el('td', null, [p.plan && word(p.plan), p.booking].filter((x) => x).join(', ') || '—'), action);
    body.appendChild(tr);
  }
}
let logBefore = null;
/** Older pages are shown: live updates leave the log alone until the next search. */
let logExtended = false;
/** The latest log request: an answer to an older one is dropped. */
let logRequest = 0;
function logParams() {
  const params = new URLSearchParams(new FormData($('log-filter')));
  for (const [k, v] of [...params]) if (!v) params.delete(k);
  return params;
}
/** The access log for the filter; `more` adds the next (older) page below. */
async function loadLog(more) {
  const request = ++logRequest;
  logExtended = more;
  const params = logParams();
  $('log-csv').href = '/api/access-log.csv?' + params.toString();
  if (more && logBefore) params.set('before', logBefore);
  const rows = await get('/api/access-log?' + params.toString());
  if (request !== logRequest) return;
  const body = more ? $('log') : clear($('log'));
  for (const r of rows) {
    const tr = el('tr');
    tr.dataset.seq = String(r.seq);
    const decision = el('td', r.granted ? 'granted' : 'denied', r.label);
    decision.title = r.reason;
    if (r.by) decision.appendChild(el('div', 'note', r.by + ': ' + (r.note || '')));
    tr.append(el('td', null, r.local), el('td', null, r.door_name || r.door),
      el('td', null, r.member_name || r.member || '—'), decision);
    body.appendChild(tr);
  }
  if (rows.length) logBefore = String(rows[rows.length - 1].seq);
  $('log-more').hidden = rows.length < 50;
}
function renderBookings(bookings) {
  const ul = clear($('bookings'));
  if (!bookings.length) ul.appendChild(el('li', null, '—'));
  for (const b of bookings) {
    const what = b.kind === 'room' ? (roomNames.get(b.resource) || b.resource) : b.resource;
    const li = el('li', null, what + ' — ' + (b.member_name || b.member) + ', ' + when(b.start) + '–' + when(b.end) + ' (' + word(b.status) + ')');
    li.dataset.booking = b.id;
    if (b.status === 'booked' || b.status === 'checked-in') {
      const c = el('button', null, word('cancel')); c.type = 'button';
      c.addEventListener('click', async () => {
        const {ok, answer} = await post('/api/bookings/' + encodeURIComponent(b.id) + '/cancel');
        flash(ok ? answer.message : answer.error, ok); refresh();
      });
      li.append(' ', c);
    }
    ul.appendChild(li);
  }
}
function renderSessions(sessions) {
  const ul = clear($('sessions'));
  for (const s of sessions) {
    const li = el('li', null, s.start + '–' + s.end + ' ' + s.title + (s.room ? ' (' + (roomNames.get(s.room) || s.room) + ')' : ''));
    li.dataset.session = s.id;
    const edit = el('button', null, word('move')); edit.type = 'button';
    edit.addEventListener('click', async () => {
      const start = prompt('New start (HH:MM)', s.start); if (!start) return;
      const end = prompt('New end (HH:MM)', s.end); if (!end) return;
      const {ok, answer} = await post('/api/sessions/' + encodeURIComponent(s.id), {start, end});
      flash(ok ? answer.message : answer.error, ok); refresh();
    });
    const del = el('button', null, word('remove')); del.type = 'button';
    del.addEventListener('click', async () => {
      const {ok, answer} = await post('/api/sessions/' + encodeURIComponent(s.id) + '/delete');
      flash(ok ? answer.message : answer.error, ok); refresh();
    });
    li.append(' ', edit, ' ', del); ul.appendChild(li);
  }
}
/** Text as people type it: case and accents ignored ("ines" finds Inès). */
function folded(text) { return String(text || '').normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase(); }
let allMembers = [];
function renderMembers(members) {
  allMembers = members;
  const wanted = folded($('member-search').value.trim());
  const ul = clear($('members'));
  const shown = members.filter((m) => !wanted || folded(m.name).includes(wanted) || folded(m.id).includes(wanted));
  if (!shown.length) ul.appendChild(el('li', null, wanted ? t.noMatch($('member-search').value) : word('noMembers')));
  for (const m of shown) {
    const badges = m.badges.filter((b) => !b.revoked).map((b) => b.id).join(', ');
    const li = el('li', null, m.name + ' (' + m.id + ') — ' + word(m.status) + ', ' + (m.plan ? word(m.plan) : word('noPlan'))
      + (m.present ? ', ' + word('inside') : '') + (badges ? ' — ' + word('badges') + ' : ' + badges : ''));
    li.dataset.member = m.id;
    if (m.plan_id) {
      // Ending a plan shuts the door to them at once: a second click confirms it.
      const end = el('button', 'end-plan', word('endPlan')); end.type = 'button';
      end.addEventListener('click', async () => {
        if (!end.dataset.armed) {
          end.dataset.armed = '1'; end.textContent = t.endPlanSure(word(m.plan));
          setTimeout(() => { delete end.dataset.armed; end.textContent = word('endPlan'); }, 5000);
          return;
        }
        const {ok, answer} = await post('/api/members/' + encodeURIComponent(m.id) + '/plans/' + encodeURIComponent(m.plan_id) + '/end');
        flash(ok ? answer.message : answer.error, ok); later();
      });
      li.append(' ', end);
    }
    if (document.body.classList.contains('admin')) {
      // Their rights: a copy of everything held about them, and erasure (typed id to confirm).
      const data = el('a', null, word('export')); data.href = '/api/members/' + encodeURIComponent(m.id) + '/export';
      data.download = m.id + '.json';
      const erase = el('button', null, word('erase')); erase.type = 'button';
      erase.addEventListener('click', async () => {
        const typed = prompt('Erasing ' + m.name + ' cannot be undone. Type their id (' + m.id + ') to confirm:');
        if (typed === null) return;
        const {ok, answer} = await post('/api/members/' + encodeURIComponent(m.id) + '/erase', {confirm: typed});
        flash(ok ? answer.message : answer.error, ok); refresh();
      });
      li.append(' ', data, ' ', erase);
    }
    ul.appendChild(li);
  }
  for (const s of document.querySelectorAll('select.members')) options(s, members.map((m) => [m.id, m.name]));
}
/** Asks which member, by name with a typeahead (never a raw id); resolves to their id, or null. */
function pickMember() {
  return new Promise((resolve) => {
    const dialog = el('dialog'); dialog.id = 'pick-member';
    const form = el('form'); form.method = 'dialog';
    const input = el('input'); input.setAttribute('list', 'member-names'); input.autocomplete = 'off';
    const list = el('datalist'); list.id = 'member-names';
    for (const m of allMembers) { const o = el('option'); o.value = m.name + ' (' + m.id + ')'; list.appendChild(o); }
    const label = el('label', null, word('attachWho')); label.append(' ', input);
    const ok = el('button', null, word('attach')); ok.value = 'ok';
    const cancel = el('button', null, word('cancel')); cancel.type = 'button';
    cancel.addEventListener('click', () => dialog.close('cancel'));
    form.append(label, list, ' ', ok, ' ', cancel); dialog.appendChild(form);
    document.body.appendChild(dialog);
    dialog.addEventListener('close', () => {
      const id = /\(([^()]+)\)$/.exec(input.value);
      const match = allMembers.find((m) => id && m.id === id[1]) || allMembers.find((m) => folded(m.name) === folded(input.value));
      dialog.remove();
      resolve(dialog.returnValue === 'ok' && match ? match.id : null);
    });
    dialog.showModal();
  });
}
function renderCards(cards) {
  options($('unknown-cards'), cards.map((c) => [String(c.seq), hhmm(new Date(c.at_us / 1000).toISOString()) + ' at ' + c.door + ': ' + c.facility + '/' + c.card_number]));
}
async function refresh() {
  try {
    const [occ, plan, rooms, doors, findings, bookings, sessions] = await Promise.all([
      get('/api/occupancy'), get('/api/floor'), get('/api/rooms'), get('/api/doors'), get('/api/findings'),
      get('/api/bookings?date=' + encodeURIComponent($('bookings-date').value || me.today)), get('/api/sessions/today')]);
    $('people').textContent = t.people(occ.people_present, occ.capacity, occ.badged_in);
    zoneNames = new Map(occ.zones.map((z) => [z.zone, z.name]));
    renderRooms(rooms); renderFloor(plan); renderDoors(doors); renderFindings(findings);
    renderBookings(bookings); renderSessions(sessions);
    renderMembers(await get('/api/members')); renderCards(await get('/api/unknown-cards'));
    renderPresence(await get('/api/presence'));
    await refreshNetwork();
    if (!logExtended) await loadLog(false);
    await refreshUsage(false);
    document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
  } catch (e) { flash(String(e.message || e), false); }
}
async function refreshNetwork() {
  const response = await fetch('/api/network', {headers: {accept: 'application/json'}});
  if (!response.ok) { $('network-panel').hidden = true; return false; }
  const view = await response.json();
  $('network-panel').hidden = false;
  const body = clear($('network'));
  for (const s of view.sites) {
    const tr = el('tr');
    tr.className = s.stale ? 'stale' : '';
    tr.dataset.site = s.summary.site;
    const heard = s.heard_at ? hhmm(s.heard_at) + (s.stale ? ' (' + word('siteStale') + ')' : '') : '-';
    const desks = s.summary.desks_free + ' / ' + s.summary.desks_occupied + ' / ' + s.summary.desks_unknown;
    for (const text of [s.summary.name, s.summary.people_present, s.summary.visitors, desks, heard]) {
      tr.appendChild(el('td', null, String(text)));
    }
    body.appendChild(tr);
  }
  const refused = clear($('network-refused'));
  for (const r of view.refused.slice(0, 5)) {
    refused.appendChild(el('li', null, word('refused') + ' ' + hhmm(new Date(r.at_us / 1000).toISOString()) + ': ' + r.reason));
  }
  return true;
}
// Utilisation: SVG charts drawn here from /api/utilisation (no library, nothing from a CDN).
let usageLoaded = 0;
/** A number in the site's language, at most `digits` decimals. */
function num(n, digits) {
  return Number(n).toLocaleString(me.locale === 'en' ? 'en-GB' : 'fr-FR', {maximumFractionDigits: digits || 0});
}
/** `27/11` of a `YYYY-MM-DD` day, with its weekday when `long`. */
function shortDay(day, weekday, long) {
  const [, m, d] = day.split('-');
  return (long ? t.weekdays[weekday - 1] + ' ' : '') + d + '/' + m;
}
function chart(width, height, label) {
  return svg('svg', {viewBox: '0 0 ' + width + ' ' + height, class: 'chart', role: 'img', 'aria-label': label});
}
/** Each zone's occupied desks today against the same weekday's typical day, 07:00–21:00. */
function curves(report) {
  const box = clear($('usage-curves'));
  const weekday = report.weekday ? t.weekdayNames[report.weekday - 1] : '';
  $('usage-today-title').textContent = t.todayVs(weekday);
  const [first, last] = [7 * 4, 21 * 4];
  const [w, h, left, top, bottom] = [300, 110, 22, 14, 96];
  for (const zone of report.zones) {
    const max = Math.max(1, zone.desks);
    const x = (q) => left + (q - first) / (last - first) * (w - left - 4);
    const y = (v) => bottom - Math.min(v, max) / max * (bottom - top);
    const drawing = chart(w, h + 4, zone.name);
    drawing.appendChild(svg('text', {x: left, y: 9, 'font-weight': 'bold'}, zone.name));
    for (let hour = 8; hour <= 20; hour += 2) {
      drawing.appendChild(svg('line', {x1: x(hour * 4), x2: x(hour * 4), y1: top, y2: bottom, class: 'axis'}));
      drawing.appendChild(svg('text', {x: x(hour * 4), y: h + 2, 'text-anchor': 'middle'}, String(hour).padStart(2, '0') + 'h'));
    }
    for (const v of [0, max]) {
      drawing.appendChild(svg('line', {x1: left, x2: w - 4, y1: y(v), y2: y(v), class: 'axis'}));
      drawing.appendChild(svg('text', {x: left - 3, y: y(v) + 3, 'text-anchor': 'end'}, String(v)));
    }
    const line = (values) => values.map((v, q) => [q, v]).filter(([q]) => q >= first && q <= last)
      .map(([q, v]) => x(q).toFixed(1) + ',' + y(v).toFixed(1)).join(' ');
    if (zone.typical) drawing.appendChild(svg('polyline', {points: line(zone.typical), class: 'typical'}));
    const today = line(zone.today);
    if (today) {
      const reached = Math.min(Math.max(zone.today.length - 1, first), last);
      drawing.appendChild(svg('polygon', {class: 'today-area',
        points: x(first) + ',' + bottom + ' ' + today + ' ' + x(reached) + ',' + bottom}));
      drawing.appendChild(svg('polyline', {points: today, class: 'today'}));
    }
    const now = zone.today.length - 1;
    drawing.appendChild(svg('title', null, zone.name + ' : ' + (now >= 0 ? num(zone.today[now], 1) : '0') + ' / ' + zone.desks));
    box.appendChild(drawing);
  }
  const key = el('p', 'hint key');
  key.appendChild(el('i')).style.background = '#146c2e';
  key.appendChild(document.createTextNode(t.todayLine));
  key.appendChild(el('i')).style.borderTop = '2px dashed #777';
  key.appendChild(document.createTextNode(t.typicalLine + ' (' + (report.typical_weeks ? t.typicalOf(report.typical_weeks) : t.noTypical) + ')'));
  box.appendChild(key);
}
/** A round step (1, 2 or 5 times a power of ten) of at least `raw`. */
function niceStep(raw) {
  const power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}
/** Desk-hours used (dark) inside desk-hours booked (light), one bar per day. */
function dayBars(report) {
  const box = clear($('usage-days'));
  if (!report.days.length) { box.appendChild(el('p', 'hint', t.noDays)); return; }
  const [w, h, left, top, bottom] = [300, 120, 30, 6, 104];
  const step = Math.min(24, (w - left - 4) / report.days.length);
  const highest = Math.max(1, ...report.days.map((d) => Math.max(d.desk_hours_booked, d.desk_hours_used)));
  const tick = niceStep(highest / 3);
  const max = Math.ceil(highest / tick) * tick;
  const y = (v) => bottom - v / max * (bottom - top);
  const drawing = chart(w, h, t.deskHoursByDay);
  for (let v = 0; v <= max; v += tick) {
    drawing.appendChild(svg('line', {x1: left, x2: w - 2, y1: y(v), y2: y(v), class: 'axis'}));
    drawing.appendChild(svg('text', {x: left - 3, y: y(v) + 3, 'text-anchor': 'end'}, num(v) + t.hoursShort));
  }
  const every = Math.ceil(30 / step);  // a date label every 30 units at most
  report.days.forEach((d, i) => {
    const x = left + i * step;
    const g = svg('g', {class: d.complete ? 'day' : 'day partial', 'data-day': d.day});
    g.appendChild(svg('title', null, t.dayTip(shortDay(d.day, d.weekday, true), num(d.desk_hours_used, 1),
      num(d.desk_hours_booked, 1), d.peak_people, d.no_shows, d.walk_ins) + (d.complete ? '' : t.partialDay)));
    g.appendChild(svg('rect', {x: x + step * 0.1, width: step * 0.8, y: y(d.desk_hours_booked),
      height: bottom - y(d.desk_hours_booked), class: 'bar-booked'}));
    g.appendChild(svg('rect', {x: x + step * 0.25, width: step * 0.5, y: y(d.desk_hours_used),
      height: bottom - y(d.desk_hours_used), class: 'bar-used'}));
    drawing.appendChild(g);
    if (i % every === 0) drawing.appendChild(svg('text', {x: x + step / 2, y: h - 4, 'text-anchor': 'middle'}, shortDay(d.day, d.weekday)));
  });
  box.appendChild(drawing);
}
/** Mean occupied hours of each desk on each weekday, darker for more. */
function heatMap(report) {
  const box = clear($('usage-heat'));
  const [left, top, cell, row] = [44, 12, 36, 11];
  const desks = report.desks;
  const max = Math.max(1, ...desks.flatMap((d) => d.hours.filter((v) => v !== null)));
  const drawing = chart(left + cell * 7 + 2, top + row * desks.length + 2, t.desksByWeekday);
  t.weekdays.forEach((name, i) => drawing.appendChild(svg('text', {x: left + i * cell + cell / 2, y: 9, 'text-anchor': 'middle'}, name)));
  desks.forEach((d, r) => {
    const y = top + r * row;
    drawing.appendChild(svg('text', {x: left - 4, y: y + row - 3, class: 'heat-label'}, d.name));
    d.hours.forEach((v, i) => {
      const g = svg('g', {'data-desk': d.desk});
      g.appendChild(svg('title', null, d.name + ', ' + t.weekdayNames[i] + ' : ' + (v === null ? '—' : num(v, 1) + ' ' + t.hoursShort)));
      g.appendChild(svg('rect', {x: left + i * cell + 1, y: y + 1, width: cell - 2, height: row - 2, rx: 1.5,
        fill: v === null ? '#f4f4f0' : 'rgba(20,108,46,' + (0.08 + 0.92 * v / max).toFixed(2) + ')'}));
      if (v !== null) {
        g.appendChild(svg('text', {x: left + i * cell + cell / 2, y: y + row - 3.2,
          class: v / max > 0.55 ? 'heat-value on-dark' : 'heat-value'}, num(v, 1)));
      }
      drawing.appendChild(g);
    });
  });
  box.appendChild(drawing);
}
function renderUsage(report) {
  const tiles = clear($('usage-totals'));
  const total = report.totals;
  const rate = total.check_ins + total.no_shows > 0 ? total.no_shows / (total.check_ins + total.no_shows) : null;
  const share = total.desk_hours_booked > 0 ? Math.round(100 * total.desk_hours_used / total.desk_hours_booked) + ' %' : '—';
  for (const [label, value, id] of [
    [t.deskHoursUsed, num(total.desk_hours_used) + ' ' + t.hoursShort, 'used'], [t.ofBooked(''), share, 'share'],
    [t.peakPeople, String(total.peak_people), 'peak'], [t.noShowRate, rate === null ? '—' : Math.round(rate * 100) + ' %', 'no-shows'],
    [t.walkInsTotal, String(total.walk_ins), 'walk-ins']]) {
    const tile = el('div');
    tile.dataset.tile = id;
    tile.appendChild(el('dt', null, label.trim()));
    tile.appendChild(el('dd', null, value));
    tiles.appendChild(tile);
  }
  curves(report); dayBars(report); heatMap(report);
  const body = clear($('usage-table'));
  for (const d of report.days.slice().reverse()) {
    const tr = el('tr', d.complete ? '' : 'partial');
    if (!d.complete) tr.title = t.partialDay.trim();
    for (const text of [shortDay(d.day, d.weekday, true), d.peak_people,
      num(d.desk_hours_used, 1), num(d.desk_hours_booked, 1), d.no_shows, d.walk_ins]) tr.appendChild(el('td', null, String(text)));
    body.appendChild(tr);
  }
}
/** The history for the chosen range; at most once a minute unless `now` (the range changed). */
async function refreshUsage(now) {
  if (!now && Date.now() - usageLoaded < 60000) return;
  usageLoaded = Date.now();
  const query = '?days=' + encodeURIComponent($('usage-range').value || '30');  // through the site's today
  $('usage-csv').href = '/api/utilisation.csv' + query;
  renderUsage(await get('/api/utilisation' + query));
}
function later() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 150); }
function clearErrors(form) { for (const s of form.querySelectorAll('[data-error-for]')) s.textContent = ''; }
async function submit(form) {
  clearErrors(form);
  const fields = new FormData(form);
  const action = form.dataset.actionTemplate
    ? form.dataset.actionTemplate.replace('{member}', encodeURIComponent(fields.get('member') || ''))
    : form.dataset.action;
  if (form.dataset.actionTemplate) fields.delete('member');
  const {ok, answer} = await post(action, fields);
  if (ok) { flash(answer.message, true); form.reset(); if (form.id === 'unlock-form') form.hidden = true; later(); return; }
  flash(answer.error, false);
  for (const [field, message] of Object.entries(answer.fields || {})) {
    const slot = form.querySelector('[data-error-for="' + field + '"]'); if (slot) slot.textContent = message;
  }
}
function connect() {
  const source = new EventSource('/api/stream');
  source.onopen = () => { $('live').textContent = word('live'); $('live').className = 'on'; later(); };
  source.onerror = () => { $('live').textContent = word('reconnecting'); $('live').className = 'off'; };
  source.onmessage = later;
  source.addEventListener('reset', later);
}
document.addEventListener('DOMContentLoaded', async () => {
  me = await get('/api/me');
  t = strings(me.locale);
  translate();
  $('who').textContent = me.display_name + ' (' + me.role + ')';
  if (me.role === 'admin') document.body.classList.add('admin');
  // The site's date, not the browser's: between midnight and 01:00 Paris the UTC date is yesterday.
  for (const d of document.querySelectorAll('input.today')) { d.value = me.today; d.defaultValue = me.today; }
  for (const form of document.querySelectorAll('form.action, #unlock-form')) {
    form.addEventListener('submit', (e) => { e.preventDefault(); submit(form); });
  }
  $('unlock-form').querySelector('[data-cancel]').addEventListener('click', () => { $('unlock-form').hidden = true; });
  $('log-filter').addEventListener('submit', (e) => { e.preventDefault(); loadLog(false); });
  $('log-more').addEventListener('click', () => loadLog(true));
  $('member-search').addEventListener('input', () => renderMembers(allMembers));
  $('bookings-date').addEventListener('change', later);
  $('usage-range').addEventListener('change', () => refreshUsage(true).catch((e) => flash(String(e.message || e), false)));
  $('logout').addEventListener('click', async () => { await post('/logout'); location.href = '/login'; });
  await refresh();
  connect();
  // Other sites' summaries come outside the journal's stream: looked at every 15 s.
  setInterval(refreshNetwork, 15000);
});
