// The staff pages, served from the binary (the space may have no internet: no CDN). The
// dashboard is a shell filled by its script from the JSON API and kept live by /api/stream;
// its script builds every element with textContent (names typed by people are never HTML)
// and sends every action with the session's CSRF token.

enum StaffPages {

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    /// The sign-in form.
    static func login(next: String, error: String?) -> String {
        let message = error.map { "<p class=\"error\" role=\"alert\">\(escape($0))</p>" } ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Cantine — staff sign-in</title>
            <link rel="stylesheet" href="/login.css"></head>
            <body><form method="post" action="/login">
            <h1>Cantine staff</h1>\(message)
            <label>Username <input name="username" autocomplete="username" required autofocus></label>
            <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
            <input type="hidden" name="next" value="\(escape(next))">
            <button type="submit">Sign in</button>
            </form></body></html>
            """
    }

    /// The sign-in page's style (public, like the page).
    static let loginStyle = """
        body{font-family:system-ui,sans-serif;background:#1d2b24;color:#eee;display:grid;place-items:center;min-height:100vh;margin:0}
        form{background:#fff;color:#222;padding:2em;border-radius:8px;min-width:18em;display:grid;gap:.8em}
        input,button{font:inherit;padding:.5em}
        button{background:#1d2b24;color:#fff;border:0;border-radius:4px;cursor:pointer}
        .error{color:#b00020;margin:0}
        """

    static let dashboard = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Cantine — staff</title>
        <link rel="stylesheet" href="/staff/style.css">
        <script src="/staff/app.js" defer></script>
        </head>
        <body data-updates="0">
        <header><h1>Cantine</h1><span id="people"></span><span id="who"></span>
        <span id="live" class="off">offline</span><button id="logout" type="button">Sign out</button></header>
        <p id="flash" role="status"></p>
        <main>
        <section id="floor-panel"><h2>Floor</h2>
        <p class="legend"><i class="free"></i>free <i class="booked"></i>booked <i class="occupied"></i>occupied
        <i class="occupied_unbooked"></i>occupied, not booked <i class="unknown"></i>unknown</p>
        <div id="floor"></div><h3>Rooms</h3><ul id="rooms"></ul></section>
        <section id="doors-panel"><h2>Doors</h2><ul id="doors"></ul>
        <form id="unlock-form" data-action="" hidden>
        <p>Unlock <b id="unlock-door"></b> for one pulse</p>
        <label>Reason <input name="reason" maxlength="200"></label><small data-error-for="reason"></small>
        <label><input type="checkbox" name="confirm" value="yes"> I confirm: open this door now</label>
        <small data-error-for="confirm"></small>
        <button type="submit">Unlock</button> <button type="button" data-cancel>Cancel</button></form></section>
        <section id="findings-panel"><h2>Findings</h2><ul id="findings"></ul></section>
        <section id="network-panel" hidden><h2>Network</h2>
        <table><thead><tr><th>site</th><th title="people present">in</th><th title="of them, visitors">visitors</th>
        <th title="desks free / occupied / unknown">desks</th><th>heard</th></tr></thead>
        <tbody id="network"></tbody></table>
        <ul id="network-refused"></ul></section>
        <section id="log-panel"><h2>Access log</h2>
        <form id="log-filter"><input name="q" placeholder="member name or id">
        <select name="door" id="log-door"><option value="">all doors</option></select>
        <select name="outcome"><option value="">all</option><option value="granted">granted</option>
        <option value="denied">denied</option></select><button type="submit">Search</button></form>
        <table><thead><tr><th>time</th><th>door</th><th>member</th><th>decision</th></tr></thead>
        <tbody id="log"></tbody></table></section>
        <section id="bookings-panel"><h2>Bookings</h2><ul id="bookings"></ul>
        <form data-action="/api/bookings" class="action"><h3>Book a desk</h3>
        <label>Member <select name="member" class="members"></select></label><small data-error-for="member"></small>
        <label>Desk <select name="desk" id="desk-choice"></select></label><small data-error-for="desk"></small>
        <label>Date <input name="date" type="date" class="today"></label><small data-error-for="date"></small>
        <label>Period <select name="period"><option>day</option><option>am</option><option>pm</option></select></label>
        <button type="submit">Book</button></form></section>
        <section id="program-panel"><h2>Today's program</h2><ul id="sessions"></ul>
        <form data-action="/api/sessions" class="action"><h3>Add a session</h3>
        <label>Title <input name="title" maxlength="120"></label><small data-error-for="title"></small>
        <label>Room <select name="room" class="room-choice"></select></label><small data-error-for="room"></small>
        <label>Date <input name="date" type="date" class="today"></label><small data-error-for="date"></small>
        <label>Start <input name="start" type="time"></label><small data-error-for="start"></small>
        <label>End <input name="end" type="time"></label><small data-error-for="end"></small>
        <label>Kind <select name="kind"><option>talk</option><option>workshop</option><option>barcamp</option>
        <option>meetup</option><option>break</option></select></label>
        <button type="submit">Add</button></form></section>
        <section id="members-panel"><h2>Members and badges</h2><ul id="members"></ul>
        <form data-action="/api/members" class="action admin"><h3>New member</h3>
        <label>Name <input name="name" maxlength="120"></label><small data-error-for="name"></small>
        <label>Email <input name="email" type="email"></label><small data-error-for="email"></small>
        <button type="submit">Add</button></form>
        <form data-action="/api/badges" class="action admin"><h3>Enroll the last refused card</h3>
        <label>Card <select name="read" id="unknown-cards"></select></label><small data-error-for="read"></small>
        <label>Member <select name="member" class="members"></select></label><small data-error-for="member"></small>
        <button type="submit">Enroll</button></form></section>
        </main></body></html>
        """

    static let style = """
        body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f0;color:#222}
        header{display:flex;gap:1em;align-items:center;background:#1d2b24;color:#fff;padding:.5em 1em}
        header h1{margin:0;font-size:1.3em}#who{margin-left:auto}
        #live.on{color:#7f7}#live.off{color:#f77}
        main{display:grid;grid-template-columns:repeat(auto-fit,minmax(24em,1fr));gap:1em;padding:1em}
        section{background:#fff;border-radius:6px;padding:.5em 1em;box-shadow:0 1px 2px #0002}
        h2{margin:.3em 0;font-size:1.1em}ul{padding-left:1em}li{margin:.25em 0}
        .zone{margin:.3em 0}.desks{display:flex;flex-wrap:wrap;gap:4px}
        .desk{width:3.2em;padding:.3em 0;text-align:center;border-radius:4px;font-size:.85em;color:#000}
        .free{background:#8fd19e}.booked{background:#9ec5fe}.occupied{background:#f1aeb5}
        tr.stale{color:#a00;font-style:italic}#network-panel{overflow-x:auto}
        .occupied_unbooked{background:#ffc107}.unknown{background:#ccc}
        .legend i{display:inline-block;width:1em;height:1em;border-radius:2px;vertical-align:middle}
        .alarm{color:#b00020;font-weight:bold}.granted{color:#146c2e}.denied{color:#b00020}
        form.action,#unlock-form{display:grid;gap:.3em;border-top:1px solid #ddd;margin-top:.5em;padding-top:.5em}
        small{color:#b00020}small:empty{display:none}#flash{margin:0;padding:.3em 1em}#flash:empty{display:none}
        #flash.ok{background:#d1e7dd}#flash.error{background:#f8d7da}
        table{border-collapse:collapse;width:100%;font-size:.9em}td,th{text-align:left;padding:2px 4px}
        button{cursor:pointer}body:not(.admin) .admin{display:none}[hidden]{display:none!important}
        """

    static let script = """
        'use strict';
        // The staff dashboard: reads /api/*, listens to /api/stream, posts actions with the CSRF token.
        let me = null;
        let refreshTimer = null;
        const $ = (id) => document.getElementById(id);
        function el(tag, text, cls) {
          const e = document.createElement(tag);
          if (text !== undefined && text !== null) e.textContent = String(text);
          if (cls) e.className = cls;
          return e;
        }
        function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
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

        function renderFloor(desks) {
          const floor = clear($('floor'));
          const zones = new Map();
          for (const d of desks) { if (!zones.has(d.zone)) zones.set(d.zone, []); zones.get(d.zone).push(d); }
          for (const [zone, list] of zones) {
            const z = el('div', null, 'zone'); z.appendChild(el('h3', zone));
            const row = el('div', null, 'desks');
            for (const d of list) {
              const cell = el('span', d.desk, 'desk ' + d.status);
              cell.dataset.desk = d.desk; cell.dataset.status = d.status;
              cell.title = d.name + ': ' + d.status.replace('_', ' ') + (d.booking ? ' — ' + (d.booking.member_name || d.booking.member) : '');
              row.appendChild(cell);
            }
            z.appendChild(row); floor.appendChild(z);
          }
          options($('desk-choice'), desks.map((d) => [d.desk, d.desk + ' (' + d.zone + ')']));
        }
        function renderRooms(rooms) {
          const ul = clear($('rooms'));
          for (const r of rooms) {
            const text = r.name + ': ' + (r.busy ? 'busy until ' + hhmm(r.until) : r.until ? 'free until ' + hhmm(r.until) : 'free')
              + (r.occupancy ? ' — sensor: ' + r.occupancy : '');
            ul.appendChild(el('li', text));
          }
          for (const s of document.querySelectorAll('.room-choice')) options(s, rooms.map((r) => [r.room, r.name]), 'whole site');
        }
        function renderDoors(doors) {
          const ul = clear($('doors'));
          for (const d of doors) {
            const li = el('li', d.name + ': ' + d.state);
            li.dataset.door = d.door;
            if (d.alarms.length) li.appendChild(el('span', ' alarm: ' + d.alarms.join(', '), 'alarm'));
            const b = el('button', 'Unlock…'); b.type = 'button';
            b.addEventListener('click', () => {
              const f = $('unlock-form'); f.hidden = false; f.dataset.action = '/api/doors/' + encodeURIComponent(d.door) + '/unlock';
              $('unlock-door').textContent = d.name; f.reset();
            });
            li.append(' ', b); ul.appendChild(li);
          }
          options($('log-door'), doors.map((d) => [d.door, d.name]), 'all doors');
        }
        function renderFindings(findings) {
          const ul = clear($('findings'));
          if (!findings.length) ul.appendChild(el('li', 'Nothing to look at.'));
          for (const f of findings) {
            const li = el('li', f.kind + ' — ' + (f.desk || f.room || '') + ': ' + f.detail
              + (f.member_name ? ' (' + f.member_name + ')' : '') + ' since ' + hhmm(f.raised_at));
            li.dataset.finding = f.id;
            for (const action of f.actions) {
              const b = el('button', action); b.type = 'button';
              b.addEventListener('click', async () => {
                const fields = {action};
                if (action === 'attach') { const m = prompt('Member id of the walk-in'); if (!m) return; fields.member = m; }
                const {ok, answer} = await post('/api/findings/' + encodeURIComponent(f.id) + '/resolve', fields);
                flash(ok ? answer.message : answer.error, ok); refresh();
              });
              li.append(' ', b);
            }
            ul.appendChild(li);
          }
        }
        async function loadLog() {
          const params = new URLSearchParams(new FormData($('log-filter')));
          for (const [k, v] of [...params]) if (!v) params.delete(k);
          const rows = await get('/api/access-log?' + params.toString());
          const body = clear($('log'));
          for (const r of rows) {
            const tr = el('tr');
            tr.append(el('td', hhmm(r.at)), el('td', r.door), el('td', r.member_name || r.member || '—'),
              el('td', r.reason, r.granted ? 'granted' : 'denied'));
            body.appendChild(tr);
          }
        }
        function renderBookings(bookings) {
          const ul = clear($('bookings'));
          for (const b of bookings) {
            const li = el('li', b.resource + ' — ' + (b.member_name || b.member) + ', ' + hhmm(b.start) + '–' + hhmm(b.end) + ' (' + b.status + ')');
            const c = el('button', 'Cancel'); c.type = 'button';
            c.addEventListener('click', async () => {
              const {ok, answer} = await post('/api/bookings/' + encodeURIComponent(b.id) + '/cancel');
              flash(ok ? answer.message : answer.error, ok); refresh();
            });
            li.append(' ', c); ul.appendChild(li);
          }
        }
        function renderSessions(sessions) {
          const ul = clear($('sessions'));
          for (const s of sessions) {
            const li = el('li', s.start + '–' + s.end + ' ' + s.title + (s.room ? ' (' + s.room + ')' : ''));
            li.dataset.session = s.id;
            const edit = el('button', 'Move…'); edit.type = 'button';
            edit.addEventListener('click', async () => {
              const start = prompt('New start (HH:MM)', s.start); if (!start) return;
              const end = prompt('New end (HH:MM)', s.end); if (!end) return;
              const {ok, answer} = await post('/api/sessions/' + encodeURIComponent(s.id), {start, end});
              flash(ok ? answer.message : answer.error, ok); refresh();
            });
            const del = el('button', 'Remove'); del.type = 'button';
            del.addEventListener('click', async () => {
              const {ok, answer} = await post('/api/sessions/' + encodeURIComponent(s.id) + '/delete');
              flash(ok ? answer.message : answer.error, ok); refresh();
            });
            li.append(' ', edit, ' ', del); ul.appendChild(li);
          }
        }
        function renderMembers(members) {
          const ul = clear($('members'));
          for (const m of members) {
            const badges = m.badges.filter((b) => !b.revoked).map((b) => b.id).join(', ');
            const li = el('li', m.name + ' (' + m.id + ') — ' + m.status + (m.plan ? ', ' + m.plan : '')
              + (m.present ? ', inside' : '') + (badges ? ' — badges: ' + badges : ''));
            li.dataset.member = m.id;
            if (document.body.classList.contains('admin')) {
              // Their rights: a copy of everything held about them, and erasure (typed id to confirm).
              const data = el('a', 'export'); data.href = '/api/members/' + encodeURIComponent(m.id) + '/export';
              data.download = m.id + '.json';
              const erase = el('button', 'erase'); erase.type = 'button';
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
        function renderCards(cards) {
          options($('unknown-cards'), cards.map((c) => [String(c.seq), hhmm(new Date(c.at_us / 1000).toISOString()) + ' at ' + c.door + ': ' + c.facility + '/' + c.card_number]));
        }
        async function refresh() {
          try {
            const [occ, desks, rooms, doors, findings, bookings, sessions] = await Promise.all([
              get('/api/occupancy'), get('/api/desks'), get('/api/rooms'), get('/api/doors'), get('/api/findings'),
              get('/api/bookings'), get('/api/sessions/today')]);
            $('people').textContent = occ.people_present + ' / ' + occ.capacity + ' present';
            renderFloor(desks); renderRooms(rooms); renderDoors(doors); renderFindings(findings);
            renderBookings(bookings); renderSessions(sessions);
            renderMembers(await get('/api/members')); renderCards(await get('/api/unknown-cards'));
            await refreshNetwork();
            await loadLog();
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
            const heard = s.heard_at ? hhmm(s.heard_at) + (s.stale ? ' (stale)' : '') : '-';
            const desks = s.summary.desks_free + ' / ' + s.summary.desks_occupied + ' / ' + s.summary.desks_unknown;
            for (const text of [s.summary.name, s.summary.people_present, s.summary.visitors, desks, heard]) {
              tr.appendChild(el('td', String(text)));
            }
            body.appendChild(tr);
          }
          const refused = clear($('network-refused'));
          for (const r of view.refused.slice(0, 5)) {
            refused.appendChild(el('li', 'refused ' + hhmm(new Date(r.at_us / 1000).toISOString()) + ': ' + r.reason));
          }
          return true;
        }
        function later() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 150); }
        function clearErrors(form) { for (const s of form.querySelectorAll('[data-error-for]')) s.textContent = ''; }
        async function submit(form) {
          clearErrors(form);
          const {ok, answer} = await post(form.dataset.action, new FormData(form));
          if (ok) { flash(answer.message, true); form.reset(); if (form.id === 'unlock-form') form.hidden = true; later(); return; }
          flash(answer.error, false);
          for (const [field, message] of Object.entries(answer.fields || {})) {
            const slot = form.querySelector('[data-error-for="' + field + '"]'); if (slot) slot.textContent = message;
          }
        }
        function connect() {
          const source = new EventSource('/api/stream');
          source.onopen = () => { $('live').textContent = 'live'; $('live').className = 'on'; later(); };
          source.onerror = () => { $('live').textContent = 'reconnecting…'; $('live').className = 'off'; };
          source.onmessage = later;
          source.addEventListener('reset', later);
        }
        document.addEventListener('DOMContentLoaded', async () => {
          me = await get('/api/me');
          $('who').textContent = me.display_name + ' (' + me.role + ')';
          if (me.role === 'admin') document.body.classList.add('admin');
          const today = new Date().toISOString().slice(0, 10);
          for (const d of document.querySelectorAll('input.today')) d.value = today;
          for (const form of document.querySelectorAll('form.action, #unlock-form')) {
            form.addEventListener('submit', (e) => { e.preventDefault(); submit(form); });
          }
          $('unlock-form').querySelector('[data-cancel]').addEventListener('click', () => { $('unlock-form').hidden = true; });
          $('log-filter').addEventListener('submit', (e) => { e.preventDefault(); loadLog(); });
          $('logout').addEventListener('click', async () => { await post('/logout'); location.href = '/login'; });
          await refresh();
          connect();
          // Other sites' summaries come outside the journal's stream: looked at every 15 s.
          setInterval(refreshNetwork, 15000);
        });
        """
}
