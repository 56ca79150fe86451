"use strict";
// The entrance blackboard: listens to /display/stream (EventSource reconnects by itself and
// sends Last-Event-ID), renders each board with textContent only (titles are never HTML),
// starting with the one embedded in the page; shows the board's time and greets members for
// a few seconds.
// Uses $, el and the words of the site's language (strings) from /common.js.
let t = strings("fr"), zone = "Europe/Paris", locale = "fr";
function render(b) {
  locale = b.locale === "en" ? "en" : "fr"; t = strings(locale); zone = b.time_zone;
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
    // Only desks known free are counted; none known free while sensors are silent is
    // "unknown", never "0 free" in red (the first member of the morning would believe it).
    const unknown = z.free === 0 && z.unknown > 0;
    const count = el("span", unknown ? "unknown" : z.free > 0 ? "free" : "busy", (unknown ? "—" : z.free) + " / " + z.total);
    line.append(el("span", "", z.name), count);
    zones.append(line);
    if (z.unknown > 0) {
      const note = el("div", "note", unknown ? t.sensorsSilent : t.someUnknown(z.unknown));
      note.dataset.zoneNote = z.zone;
      zones.append(note);
    }
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
  // The site's time, as the daemon has it (a board comes every minute): never the screen's
  // own clock, which may be wrong, or the demo's accelerated one.
  $("clock").textContent = b.time;
  document.body.dataset.boards = String(Number(document.body.dataset.boards) + 1);
}
let hide;
function welcome(name) {
  const w = $("welcome"); w.textContent = t.welcome(name); w.style.display = "block";
  clearTimeout(hide); hide = setTimeout(() => { w.style.display = "none"; }, 8000);
}
// The board the page came with: the screen is right before the stream connects.
if (document.body.dataset.board) { render(JSON.parse(document.body.dataset.board)); delete document.body.dataset.board; }
const source = new EventSource("/display/stream");
source.addEventListener("board", e => { $("offline").style.display = "none"; document.body.dataset.seq = e.lastEventId; render(JSON.parse(e.data)); });
source.addEventListener("welcome", e => welcome(JSON.parse(e.data).name));
source.onerror = () => { const o = $("offline"); o.textContent = t.offline; o.style.display = "block"; };
