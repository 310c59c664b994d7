/*
 * dom.js: the debugger's small DOM helpers (no framework, no dependency).
 *
 * Owns: h() to build elements, short JSON for cells, readable error text.
 * Must stay true: text goes into the page as text (textContent), never as HTML, so stored
 * documents can never inject markup into the host page.
 */

/* h('div', { class, text, dataset, on: {click}, ...attributes }, ...children) */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'on') for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function clear(node, ...children) {
  node.textContent = '';
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

export function cellText(value) {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function shortJson(value, max = 120) {
  const text = value === undefined ? '(none)' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function describeError(error) {
  if (error && typeof error === 'object' && 'message' in error) {
    return `${error.name ?? 'Error'}${error.code ? ` ${error.code}` : ''}: ${error.message}`;
  }
  return String(error);
}

/* The field that names a document: id, _id, key or uuid when present, else null. */
export function idFieldOf(doc) {
  if (doc === null || typeof doc !== 'object') return null;
  for (const name of ['id', '_id', 'key', 'uuid']) if (Object.hasOwn(doc, name)) return name;
  return null;
}
