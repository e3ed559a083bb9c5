// Choosing the election: from ?election=ID in the address, or from the list
// the server publishes (GET /api/elections). Shared by every page.

import { failureKey, getJson, paths } from './api.js';
import { clear, el, param, setMessage, setParam } from './dom.js';
import { setLocalized, setText } from './i18n.js';

const ID = /^[a-z0-9][a-z0-9_-]{0,47}$/;

/** Fetch the summary of election `id` (GET /api/elections/<id>). */
export function fetchSummary(id) {
  return getJson(paths.election(id));
}

/**
 * Fill `list` (a <ul>) with one button per election; resolve with the id chosen.
 * `message` shows failures (with a retry button in `retry`).
 */
export async function chooseElection({ list, message, onlyStates = null }) {
  const fromUrl = param('election');
  if (fromUrl && ID.test(fromUrl)) return fromUrl;
  let elections;
  for (;;) {
    try {
      elections = (await getJson(paths.elections())).elections;
      break;
    } catch (err) {
      setMessage(message, 'error', failureKey(err));
      await waitForRetry(message);
    }
  }
  setMessage(message, null, null);
  clear(list);
  const shown = onlyStates ? elections.filter((e) => onlyStates.includes(e.state)) : elections;
  if (shown.length === 0) {
    setMessage(message, 'warn', 'election.none');
    return new Promise(() => {}); // nothing to choose: the page stays here
  }
  return new Promise((resolve) => {
    for (const item of shown) {
      const title = setLocalized(el('span', { class: 'title' }), item.title);
      const state = setText(el('span', { class: 'state' }), `state.${item.state}`);
      const button = el(
        'button',
        { type: 'button', 'data-testid': `election-${item.id}`, 'data-election': item.id },
        title,
        ' — ',
        state,
      );
      button.addEventListener('click', () => {
        setParam('election', item.id);
        resolve(item.id);
      });
      list.append(el('li', {}, button));
    }
  });
}

/** Show a retry button under `message` and wait for it to be pressed. */
export function waitForRetry(message) {
  return new Promise((resolve) => {
    const button = el('button', { type: 'button', 'data-testid': 'retry', i18n: 'action.retry' });
    button.addEventListener('click', () => {
      button.remove();
      resolve();
    });
    message.append(el('div', { class: 'button-row' }, button));
    button.focus();
  });
}
