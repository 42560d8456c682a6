// common: what every served page does first (language, navigation) and the API fetch helper.
import { initI18n, t } from './i18n.js';

export async function getJSON(path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' } });
  if (!r.ok) {
    await r.text().catch(() => ''); // read to the end, so the request is finished
    const e = new Error(`${path}: HTTP ${r.status}`);
    e.status = r.status;
    throw e;
  }
  return r.json();
}

export async function getText(path) {
  const r = await fetch(path);
  if (!r.ok) {
    await r.text().catch(() => '');
    throw new Error(`${path}: HTTP ${r.status}`);
  }
  return r.text();
}

export function initPage() {
  initI18n();
  const here = location.pathname.replace(/\/\d{4}$/, '');
  for (const a of document.querySelectorAll('nav.site a')) {
    if (a.getAttribute('href') === here) a.setAttribute('aria-current', 'page');
  }
}

export function showError(el, e) {
  el.hidden = false;
  el.textContent = t('err.load', { why: e.message });
}

// A table cell; numbers right-aligned by class.
export function cell(tag, text, cls) {
  const c = document.createElement(tag);
  c.textContent = text;
  if (cls) c.className = cls;
  return c;
}
