/*
 * dom.js: the demo's tiny DOM and formatting helpers (no framework).
 *
 * Owns: el() for building elements, how a value is shown in a table cell, pretty JSON, how an
 * error becomes readable text, and which field identifies a document (idFieldOf).
 *
 * Must stay true: nothing here touches the database or any global state, and text always goes
 * into the page as text (textContent), never as HTML, so stored documents cannot inject markup.
 */

/**
 * Creates an element. props: { class, text, title, dataset: {..}, on: { click: fn }, ...attributes }.
 * children: nodes or strings (strings become text nodes); null/undefined/false are skipped.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'on') for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
    else if (key in node && typeof value !== 'string') node[key] = value; // e.g. disabled, value
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  appendAll(node, children);
  return node;
}

function appendAll(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/* Replaces every child of node with children. */
export function replaceChildren(node, ...children) {
  node.textContent = '';
  appendAll(node, children);
  return node;
}

/* The text a table cell shows for a field: strings as they are, missing as empty, the rest as JSON. */
export function cellText(value) {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function prettyJson(value) {
  return JSON.stringify(value, null, 2);
}

/* One line of JSON, shortened for lists; the full text goes in a title tooltip by the caller. */
export function shortJson(value, max = 160) {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/* "HindsightError INVALID_ARGUMENT: message", or the best text an unknown throwable offers. */
export function describeError(error) {
  if (error && typeof error === 'object' && 'message' in error) {
    const code = error.code ? ` ${error.code}` : '';
    return `${error.name ?? 'Error'}${code}: ${error.message}`;
  }
  return String(error);
}

/* Field names that usually identify a document, tried in order. */
const ID_FIELDS = ['id', '_id', 'key', 'uuid'];

/**
 * The field that identifies doc for history lookups: a usual id name if present, else the first
 * top-level field holding a string or number. Returns null when there is none.
 */
export function idFieldOf(doc) {
  if (doc === null || typeof doc !== 'object') return null;
  for (const name of ID_FIELDS) if (Object.hasOwn(doc, name)) return name;
  for (const [name, value] of Object.entries(doc)) {
    if (typeof value === 'string' || typeof value === 'number') return name;
  }
  return null;
}

/* A short label for a document: "id 7" or its short JSON. */
export function docLabel(doc) {
  const field = idFieldOf(doc);
  return field ? `${field} ${cellText(doc[field])}` : shortJson(doc, 40);
}

/* Column names for a set of rows: every top-level key, in order of first appearance. */
export function columnsOf(rows) {
  const seen = new Set();
  for (const row of rows) for (const key of Object.keys(row ?? {})) seen.add(key);
  return [...seen];
}
