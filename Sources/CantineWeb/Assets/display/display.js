"use strict";
// The entrance blackboard: draws the board the page came with, then each one /display/stream
// sends (EventSource reconnects by itself with Last-Event-ID), with textContent only (titles
// are never HTML). It sizes the text from the screen — 5 % of its short side (54 px at 1080p),
// shrunk until nothing overflows, never under 3 % — then hides past sessions, then pages the
// day, so nothing is ever clipped. The clock is the board's: the site's time.
// Uses $, el and the words of the site's language (strings) from /common.js.
let t = strings("fr"), locale = "fr";
let board = null, page = 0, pageTimer = null;

function render(b) {
  board = b;
  locale = b.locale === "en" ? "en" : "fr"; t = strings(locale);
  document.documentElement.lang = locale;
  $("title").textContent = b.site + " · " + longDay(b.date);
  $("desks-title").textContent = t.desks; $("rooms-title").textContent = t.rooms;
  // The site's time, as the daemon has it (a board comes every minute): never the screen's own
  // clock, which may be wrong, or the demo's accelerated one.
  $("clock").textContent = b.time;
  drawClosed(b);
  drawSide(b);
  drawQR();
  document.body.dataset.boards = String(Number(document.body.dataset.boards) + 1);
  fit();
  placeQR();
}

/** Closed: when it opens next, and whose program the grid shows when not today's. */
function drawClosed(b) {
  const parts = [];
  if (!b.open && b.opens_at) {
    const [date, time] = b.opens_at.split(" ");
    const tomorrow = new Date(Date.parse(b.date + "T12:00:00Z") + 86400000).toISOString().slice(0, 10);
    parts.push(t.closedUntil(date === b.date ? "" : date === tomorrow ? t.tomorrow : longDay(date), time));
  }
  if (b.program_date && b.program_date !== b.date && b.rows.length) parts.push(t.programOf(longDay(b.program_date)));
  $("closed").textContent = parts.join(" · ");
}

function longDay(date) {
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "long", day: "numeric", month: "long" })
    .format(new Date(date + "T12:00:00Z"));
}

/** The program as a grid of rooms in columns, or (`list`: many rooms on a narrow screen) each
 *  slot's sessions flowing side by side, each naming its room. */
function drawProgram(b, list) {
  const grid = $("grid");
  grid.replaceChildren();
  grid.classList.toggle("list", list);
  document.body.classList.toggle("no-program", b.rows.length === 0);
  if (b.rows.length === 0) {
    // Open: the bar is; closed: nothing planned before it opens (not "the bar is open").
    grid.style.gridTemplateColumns = "";
    grid.append(el("div", "empty", b.open === false ? t.nothingPlanned : t.empty));
    return;
  }
  const rooms = new Map(b.columns.map(c => [c.room, c.name]));
  grid.style.gridTemplateColumns = "min-content " + (list ? "minmax(0, 1fr)" : "repeat(" + Math.max(1, b.columns.length) + ", minmax(0, 1fr))");
  if (!list) {
    grid.append(el("div", "head", ""));
    for (const c of b.columns) grid.append(el("div", "head", c.name));
  }
  b.rows.forEach((r, i) => {
    const past = r.cells.every(c => c.state === "past");
    const mark = (node) => { node.dataset.row = String(i); if (past) node.dataset.past = "1"; grid.append(node); return node; };
    // The start as large as the titles, the end under it, smaller: a narrow column for times.
    const time = mark(el("div", "time"));
    time.append(el("span", "start", r.start), el("span", "end", "–" + r.end));
    const brk = r.cells.find(c => c.room === null || c.room === undefined);
    if (brk) { mark(cellOf(brk, "break cell " + brk.state, brk.title || t.pause)); return; }
    if (list) {
      const slot = mark(el("div", "slot"));
      for (const c of r.cells) slot.append(cellOf(c, "cell " + c.state, c.title, rooms.get(c.room)));
      return;
    }
    for (const col of b.columns) {
      const c = r.cells.find(x => x.room === col.room);
      mark(c ? cellOf(c, "cell " + c.state, c.title) : el("div", "cell", ""));
    }
  });
}

function cellOf(c, cls, title, room) {
  const cell = el("div", cls);
  cell.dataset.session = c.id;
  // The label first: on the cell's line in columns, floated beside the room in a list.
  if (c.state === "now") {
    const tag = el("span", "tag", c.starting ? t.starting : t.now);
    tag.dataset.short = t.now;  // when the cell is too narrow for "just started: come in!"
    cell.append(tag);
  }
  if (c.state === "next") cell.append(el("span", "tag", t.next));
  if (room) cell.append(el("span", "room", room));
  cell.append(el("span", "title", title));
  if (c.speakers && c.speakers.length) cell.append(el("span", "who", c.speakers.join(", ")));
  return cell;
}

function line(table, name, status, cls, key, value) {
  const n = el("span", "name", name), s = el("span", "status " + cls, status);
  n.dataset[key] = value; s.dataset[key] = value;
  table.append(n, s);
  return s;
}

function drawSide(b) {
  const zones = $("zones"); zones.replaceChildren();
  for (const z of b.zones) {
    // Only desks known free are counted; none known free while sensors are silent is
    // "unknown", never "0 free" in red (the first member of the morning would believe it).
    const unknown = z.free === 0 && z.unknown > 0;
    line(zones, z.name, (unknown ? "—" : z.free) + " / " + z.total, unknown ? "unknown" : z.free > 0 ? "free" : "busy",
      "zone", z.zone);
    if (z.unknown > 0) {
      const note = el("span", "note", unknown ? t.sensorsSilent : t.someUnknown(z.unknown));
      note.dataset.zoneNote = z.zone;
      zones.append(note);
    }
  }
  const rooms = $("rooms"); rooms.replaceChildren();
  for (const r of b.rooms) {
    const what = (r.busy ? t.busy : t.freeDay) + (r.until ? " → " + r.until : "");
    line(rooms, r.name, what, r.busy ? "busy" : "free", "room", r.room);
  }
  const people = $("people"); people.replaceChildren();
  line(people, t.present, b.people_present + " / " + b.capacity, "", "people", "all");
}

/** Whether anything on the board spills out of its box or off the screen. */
function overflowing() {
  for (const id of ["board", "program", "side"]) {
    const e = $(id);
    if (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1) return true;
  }
  const header = document.querySelector("header");
  if (header.scrollWidth > header.clientWidth + 1) return true;
  // (A title is clamped to three lines in height, never cut in width: a word wider than its
  // column counts as spilling.)
  for (const c of document.querySelectorAll("#grid .cell, #grid .head, #grid .time, #grid .tag, #grid .title, #grid .room, #side .name, #side .status")) {
    if (c.scrollWidth > c.clientWidth + 1) return true;
  }
  return false;
}

/** Sets the text size (px) and answers whether everything fits; a label too long for its
 *  cell says it shorter. */
function sized(px) {
  document.documentElement.style.setProperty("--fs", px.toFixed(1) + "px");
  for (const tag of document.querySelectorAll(".tag[data-short]")) {
    tag.textContent = tag.dataset.long || tag.textContent;
    tag.dataset.long = tag.textContent;
    if (tag.scrollWidth > tag.clientWidth + 1) tag.textContent = tag.dataset.short;
  }
  return !overflowing();
}

/** Shows only `rows` (indices) of the grid. */
function showRows(rows) {
  const keep = new Set(rows.map(String));
  for (const node of document.querySelectorAll("#grid [data-row]")) node.classList.toggle("row-gone", !keep.has(node.dataset.row));
}

/** The largest size from `start` down to `floor` at which the shown rows fit, or null. */
function largestFit(start, floor) {
  for (let px = start; px >= floor; px *= 0.97) if (sized(px)) return px;
  return sized(floor) ? floor : null;
}

/** The rows in pages that each fit at `floor`, as even as they can be; null when one row
 *  alone does not fit. */
function paginate(rows, floor) {
  const greedy = [];
  let current = [];
  for (const i of rows) {
    showRows(current.concat([i]));
    if (sized(floor)) { current.push(i); continue; }
    if (current.length === 0) return null;
    greedy.push(current);
    current = [i];
    showRows(current);
    if (!sized(floor)) return null;
  }
  if (current.length) greedy.push(current);
  const per = Math.ceil(rows.length / greedy.length);
  const even = [];
  for (let k = 0; k < rows.length; k += per) even.push(rows.slice(k, k + per));
  const fits = even.length === greedy.length && even.every(p => { showRows(p); return sized(floor); });
  return fits ? even : greedy;
}

function showPage() {
  const pages = fit.pages;
  page = page % pages.length;
  showRows(pages[page]);
  sized(fit.size);
  $("pages").textContent = (page + 1) + " / " + pages.length;
}

function fit() {
  if (!board) return;
  if (board.rows.length === 0) { drawProgram(board, false); largestFit(Math.min(innerWidth, innerHeight) * 0.05, Math.min(innerWidth, innerHeight) * 0.03); return; }
  const unit = Math.min(innerWidth, innerHeight);
  const start = unit * 0.05, floor = unit * 0.03;
  const all = board.rows.map((_, i) => i);
  const coming = all.filter(i => !board.rows[i].cells.every(c => c.state === "past"));
  clearInterval(pageTimer); pageTimer = null; $("pages").textContent = "";
  // Rooms in columns with words whole; then, when a word is wider than its column at the
  // floor size, each slot's sessions side by side as wide as they need; cut anywhere last.
  const modes = [[false, false], [true, false], [true, true]].filter(([list]) => !list || board.columns.length > 1);
  for (const [list, tight] of modes) {
    drawProgram(board, list);
    document.body.classList.toggle("tight", tight);
    // The whole day, then without the sessions already over, then in pages turning every 12 s.
    for (const rows of [all, coming]) {
      if (rows.length === 0 && rows !== all) continue;
      showRows(rows);
      if (tight ? sized(floor) : largestFit(start, floor) !== null) return;
    }
    const pages = paginate(coming, floor);
    if (pages) {
      // One size for every page: the largest at which each of them fits (words cut: the
      // floor, to cut as few as can be).
      const size = tight ? floor : Math.min(...pages.map(p => { showRows(p); return largestFit(start, floor) || floor; }));
      Object.assign(fit, {pages, size});
      showPage();
      if (pages.length > 1) pageTimer = setInterval(() => { page += 1; showPage(); }, 12000);
      return;
    }
  }
  // Nothing fits even a row per page (a single slot taller than the screen at the floor
  // size): the last mode stays, at the floor, its coming rows shown.
}

let hide;
function welcome(name) {
  const w = $("welcome"); w.textContent = t.welcome(name); w.style.display = "block";
  clearTimeout(hide); hide = setTimeout(() => { w.style.display = "none"; }, 8000);
}

/** The program's QR code (from the page's data-qr-*: the daemon encodes it) in the free
 *  corner under the side's tables: shown on landscape screens when at least 16 % of the
 *  short side is left for it, so a phone reads it from arm's length. */
function placeQR() {
  const q = $("qr"), svg = $("qr-code"), data = document.body.dataset;
  if (!data.qrPath) return;
  const unit = Math.min(innerWidth, innerHeight);
  const side = $("side").getBoundingClientRect();
  const sections = [...document.querySelectorAll("#side section")];
  const used = Math.max(...sections.map(s => s.getBoundingClientRect().bottom));
  q.style.display = "block";
  // The caption wraps to the code's width: measured at the width it will have.
  let size = Math.min(side.width, unit * 0.3);
  for (let i = 0; i < 3; i++) {
    q.style.width = size + "px";
    const caption = $("qr-text").getBoundingClientRect().height;
    size = Math.min(side.bottom - used - unit * 0.02 - caption, side.width, unit * 0.3);
  }
  q.style.width = svg.style.width = svg.style.height = Math.max(0, size) + "px";
  const show = innerWidth > innerHeight && size >= unit * 0.16 && q.getBoundingClientRect().top >= used - 0.5;
  q.style.display = show ? "block" : "none";
  document.body.dataset.qr = show ? String(Math.round(size)) : "";
}

/** The QR code's drawing and caption (in the board's language). */
function drawQR() {
  const data = document.body.dataset, svg = $("qr-code");
  if (!data.qrPath) return;
  const n = Number(data.qrSize) + 8;
  svg.setAttribute("viewBox", "0 0 " + n + " " + n);
  svg.setAttribute("aria-label", data.qrUrl);
  const rect = svg.querySelector("rect");
  rect.setAttribute("width", n); rect.setAttribute("height", n);
  svg.querySelector("path").setAttribute("d", data.qrPath);
  $("qr-text").textContent = t.programOnPhone + " · " + data.qrUrl.replace(/^https?:\/\//, "");
}

// The board the page came with: the screen is right before the stream connects.
if (document.body.dataset.board) { render(JSON.parse(document.body.dataset.board)); delete document.body.dataset.board; }
// Sizes are measured with the chalk font: once it is loaded, and whenever the screen changes.
document.fonts.ready.then(() => { fit(); placeQR(); });
addEventListener("resize", () => { fit(); placeQR(); });
const source = new EventSource("/display/stream");
source.addEventListener("board", e => { $("offline").style.display = "none"; document.body.dataset.seq = e.lastEventId; render(JSON.parse(e.data)); });
source.addEventListener("welcome", e => welcome(JSON.parse(e.data).name));
source.onerror = () => { const o = $("offline"); o.textContent = t.offline; o.style.display = "block"; };
