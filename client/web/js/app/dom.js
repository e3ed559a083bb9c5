// Small DOM helpers shared by the pages: element building, the live region,
// focus after a step changes, downloads, grouped hex.

import { setText, t } from './i18n.js';

/** Build an element: el('p', {class: 'x', 'data-testid': 'y'}, child, 'text'). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (name === 'i18n') {
      if (Array.isArray(value)) setText(node, value[0], value[1]);
      else setText(node, value);
    }
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

/** Say `key` in the page's polite live region (screen readers read it once). */
export function announce(key, args) {
  const live = document.getElementById('live');
  if (!live) return;
  live.textContent = '';
  // A fresh text node after a tick, so the same message is announced again.
  setTimeout(() => setText(live, key, args), 50);
}

/** Show one of the page's steps (sections with data-step), hide the others,
 *  and move the focus to its heading so keyboard and screen-reader users
 *  land on the new content. */
export function showStep(name) {
  let shown = null;
  document.querySelectorAll('section[data-step]').forEach((section) => {
    const on = section.dataset.step === name;
    section.hidden = !on;
    if (on) {
      section.setAttribute('data-current', '');
      shown = section;
    } else {
      section.removeAttribute('data-current');
    }
  });
  document.body.dataset.step = name;
  const heading = shown?.querySelector('h1, h2');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
  return shown;
}

/** Show a message box (class error/ok/warn) with message `key`, or hide it. */
export function setMessage(box, kind, key, args) {
  if (!box) return;
  if (!key) {
    clear(box);
    box.hidden = true;
    return;
  }
  box.className = `message ${kind}`;
  box.hidden = false;
  clear(box);
  box.append(setText(el('p', { 'data-testid': 'message-text' }), key, args));
}

/** Offer `text` as a file download (no server round trip). */
export function download(filename, text, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** 64 hex characters as groups of 4 separated by spaces (read aloud or copied by hand). */
export function groupHex(hex, size = 4) {
  return (hex.match(new RegExp(`.{1,${size}}`, 'g')) ?? []).join(' ');
}

/** A tracking code typed by a person: spaces, dashes and case are ignored. */
export function normalizeTrackingCode(text) {
  const hex = String(text).toLowerCase().replace(/[\s-]/g, '');
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

export function param(name) {
  return new URLSearchParams(globalThis.location?.search ?? '').get(name);
}

/** Put `name=value` in the address bar (so a reload or a bookmark keeps it). */
export function setParam(name, value) {
  const url = new URL(globalThis.location.href);
  if (value == null) url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  history.replaceState(history.state, '', url);
}

export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(t('format.locale'));
}
