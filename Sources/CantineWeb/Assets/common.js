'use strict';
// Helpers shared by the pages' scripts (loaded first, before each page's own script). Text is
// only ever set with textContent: names and titles typed by people are never HTML.

/** The element with this id. */
const $ = (id) => document.getElementById(id);

/** A new element with an optional class and text. */
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/** Empties a node and returns it. */
function clear(node) {
  node.replaceChildren();
  return node;
}
