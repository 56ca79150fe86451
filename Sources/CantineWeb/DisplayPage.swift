// The /display page, served from the binary with its stylesheet and script (no CDN, no
// external font: the space may have no internet; no inline script or style: the page runs
// under a CSP of 'self' only), drawn like the chalked blackboard at the entrance. Its
// script listens to /display/stream (EventSource reconnects by itself and sends
// Last-Event-ID), renders each board with textContent only (titles are never HTML), keeps
// a clock in the site's time zone, and greets members for a few seconds.

enum DisplayPage {
    static let html = """
        <!doctype html>
        <html lang="fr">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Cantine</title>
        <link rel="stylesheet" href="/display/style.css">
        <script src="/display/app.js" defer></script>
        </head>
        <body data-boards="0">
        <main>
          <header><h1 id="title"></h1><div id="clock"></div></header>
          <div id="grid"></div>
          <aside>
            <section><h2 id="desks-title"></h2><div id="zones"></div></section>
            <section><h2 id="rooms-title"></h2><div id="rooms"></div></section>
            <section><div id="people" class="line"></div></section>
          </aside>
        </main>
        <div id="welcome"></div>
        <div id="offline"></div>
        </body>
        </html>
        """

    /// The blackboard's look.
    static let style = """
        :root { --chalk: #f4f1e8; --dim: #b9c2b5; --board: #1f2d27; --frame: #6b4a2b; --now: #ffe27a; --next: #9fd8ff; }
        * { box-sizing: border-box; margin: 0; padding: 0; }
        html, body { height: 100%; background: var(--frame); color: var(--chalk);
          font-family: "Chalkboard SE", "Comic Neue", "Comic Sans MS", "DejaVu Sans", sans-serif; }
        body { padding: 1.2vmin; }
        main { height: 100%; background: radial-gradient(ellipse at 30% 20%, #2b3d35, var(--board) 70%);
          border-radius: 1vmin; padding: 2.5vmin 3vmin; display: grid; gap: 2vmin;
          grid-template-columns: 3fr 1fr; grid-template-rows: auto 1fr; }
        header { grid-column: 1 / -1; display: flex; justify-content: space-between; align-items: baseline; }
        h1 { font-size: 4.6vmin; font-weight: normal; }
        #clock { font-size: 6vmin; letter-spacing: .1em; }
        #grid { display: grid; gap: .8vmin 1.2vmin; align-content: start; font-size: 2.6vmin; overflow: hidden; }
        .head { color: var(--dim); border-bottom: .3vmin dashed var(--dim); padding-bottom: .4vmin; }
        .time { color: var(--dim); white-space: nowrap; }
        .cell { padding: .6vmin 1vmin; border-radius: .8vmin; border: .25vmin solid transparent; }
        .cell .who { display: block; color: var(--dim); font-size: .8em; }
        .cell.past { opacity: .35; text-decoration: line-through; }
        .cell.now { border-color: var(--now); color: var(--now); }
        .cell.next { border-color: var(--next); border-style: dashed; }
        .cell .tag { font-size: .7em; margin-left: .6em; }
        .break { grid-column: 2 / -1; text-align: center; color: var(--dim); font-style: italic; }
        aside { display: flex; flex-direction: column; gap: 2.4vmin; font-size: 2.6vmin; }
        aside h2 { font-size: 3vmin; font-weight: normal; border-bottom: .3vmin solid var(--dim); margin-bottom: .8vmin; }
        .line { display: flex; justify-content: space-between; gap: 1vmin; }
        .free { color: #b6f5a6; } .busy { color: #ffb3a7; }
        #welcome { position: fixed; left: 50%; bottom: 6vmin; transform: translateX(-50%); font-size: 6vmin;
          background: rgba(0,0,0,.55); padding: 1.5vmin 4vmin; border-radius: 2vmin; display: none; }
        #offline { position: fixed; top: 1.5vmin; right: 2vmin; font-size: 2vmin; color: #ffb3a7; display: none; }
        .empty { color: var(--dim); font-size: 3vmin; }
        @media (orientation: portrait) {
          main { grid-template-columns: 1fr; grid-template-rows: auto 1fr auto; }
          #grid { font-size: 2.2vmax; } aside { font-size: 2vmax; flex-direction: row; flex-wrap: wrap; }
          aside section { flex: 1 1 40%; }
        }
        """

    /// The page's script: the board stream, rendering with textContent, the clock, the welcome.
    static let script = """
        "use strict";
        const T = {
          fr: { today: "Aujourd'hui", desks: "Postes libres", rooms: "Salles", now: "en cours",
                next: "ensuite", starting: "vient de commencer : entrez !", pause: "Pause",
                freeUntil: "libre jusqu'à", busyUntil: "occupée jusqu'à", freeDay: "libre",
                busy: "occupée", present: "présents", welcome: n => "Bienvenue, " + n + " !",
                offline: "reconnexion…", empty: "Pas de session aujourd'hui : le bar est ouvert." },
          en: { today: "Today", desks: "Free desks", rooms: "Rooms", now: "now", next: "next",
                starting: "just started: come in!", pause: "Break", freeUntil: "free until",
                busyUntil: "busy until", freeDay: "free", busy: "busy", present: "present",
                welcome: n => "Welcome, " + n + "!", offline: "reconnecting…",
                empty: "No sessions today: the bar is open." }
        };
        let t = T.fr, zone = "Europe/Paris", locale = "fr";
        const $ = id => document.getElementById(id);
        function el(tag, cls, text) {
          const e = document.createElement(tag);
          if (cls) e.className = cls;
          if (text !== undefined) e.textContent = text;
          return e;
        }
        function tick() {
          $("clock").textContent = new Intl.DateTimeFormat(locale, { timeZone: zone, hour: "2-digit", minute: "2-digit" }).format(new Date());
        }
        function render(b) {
          locale = b.locale === "en" ? "en" : "fr"; t = T[locale]; zone = b.time_zone;
          document.documentElement.lang = locale;
          const day = new Intl.DateTimeFormat(locale, { timeZone: zone, weekday: "long", day: "numeric", month: "long" }).format(new Date(b.date + "T12:00:00Z"));
          $("title").textContent = b.site + " · " + day;
          $("desks-title").textContent = t.desks; $("rooms-title").textContent = t.rooms;
          const grid = $("grid");
          grid.replaceChildren();
          grid.style.gridTemplateColumns = "auto repeat(" + Math.max(1, b.columns.length) + ", 1fr)";
          if (b.rows.length === 0) { grid.append(el("div", "empty", t.empty)); }
          else {
            grid.append(el("div", "head", ""));
            for (const c of b.columns) grid.append(el("div", "head", c.name));
            for (const r of b.rows) {
              grid.append(el("div", "time", r.start + "–" + r.end));
              const brk = r.cells.find(c => c.room === null || c.room === undefined);
              if (brk) { grid.append(el("div", "break cell " + brk.state, brk.title || t.pause)); continue; }
              for (const col of b.columns) {
                const c = r.cells.find(x => x.room === col.room);
                if (!c) { grid.append(el("div", "cell", "")); continue; }
                const cell = el("div", "cell " + c.state, c.title);
                cell.dataset.session = c.id;
                if (c.state === "now") cell.append(el("span", "tag", c.starting ? t.starting : t.now));
                if (c.state === "next") cell.append(el("span", "tag", t.next));
                if (c.speakers.length) cell.append(el("span", "who", c.speakers.join(", ")));
                grid.append(cell);
              }
            }
          }
          const zones = $("zones"); zones.replaceChildren();
          for (const z of b.zones) {
            const line = el("div", "line"); line.dataset.zone = z.zone;
            line.append(el("span", "", z.name), el("span", z.free > 0 ? "free" : "busy", z.free + " / " + z.total));
            zones.append(line);
          }
          const rooms = $("rooms"); rooms.replaceChildren();
          for (const r of b.rooms) {
            const line = el("div", "line"); line.dataset.room = r.room;
            const what = r.busy ? (r.until ? t.busyUntil + " " + r.until : t.busy)
                                : (r.until ? t.freeUntil + " " + r.until : t.freeDay);
            line.append(el("span", "", r.name), el("span", r.busy ? "busy" : "free", what));
            rooms.append(line);
          }
          $("people").replaceChildren(el("span", "", t.present), el("span", "", b.people_present + " / " + b.capacity));
          document.body.dataset.boards = String(Number(document.body.dataset.boards) + 1);
          tick();
        }
        let hide;
        function welcome(name) {
          const w = $("welcome"); w.textContent = t.welcome(name); w.style.display = "block";
          clearTimeout(hide); hide = setTimeout(() => { w.style.display = "none"; }, 8000);
        }
        const source = new EventSource("/display/stream");
        source.addEventListener("board", e => { $("offline").style.display = "none"; document.body.dataset.seq = e.lastEventId; render(JSON.parse(e.data)); });
        source.addEventListener("welcome", e => welcome(JSON.parse(e.data).name));
        source.onerror = () => { const o = $("offline"); o.textContent = t.offline; o.style.display = "block"; };
        setInterval(tick, 1000);
        """
}
