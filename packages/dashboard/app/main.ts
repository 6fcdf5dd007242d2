// The dashboard's entry: a hash router (`#/` the overview, `#/jobs/<id>` a
// job) and the refresh loop, which polls the REST API every second and
// updates the page in place.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { ApiError, sessionToken } from './api.ts';
import { el, replace } from './dom.ts';
import { JobPage } from './job-page.ts';
import { renderOverview } from './overview-page.ts';

const REFRESH_MS = 1000;
const page = document.getElementById('page')!;
const status = document.getElementById('refresh')!;
let jobPage: JobPage | undefined;
let timer: number | undefined;

async function render(): Promise<void> {
  const match = /^#\/jobs\/([^/]+)$/.exec(location.hash);
  if (match) {
    const jobId = decodeURIComponent(match[1]!);
    if (jobPage?.jobId !== jobId) {
      jobPage = new JobPage(jobId);
      jobPage.mount(page);
    }
    await jobPage.refresh();
  } else {
    jobPage = undefined;
    await renderOverview(page);
  }
}

/** The cluster asks for a token (or refused the one given): a form for it, and no polling until it is sent. */
function askForToken(message: string): void {
  jobPage = undefined;
  const input = el('input', { type: 'password', name: 'token', autocomplete: 'off', placeholder: 'bearer token', 'aria-label': 'token' });
  const form = el(
    'form',
    {
      class: 'token-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        if (input.value.trim()) sessionToken.set(input.value.trim());
        void tick();
      },
    },
    el('p', {}, 'This cluster asks for a token (role viewer or above; see docs/security.md). It is kept for this browser tab only.'),
    el('p', { class: 'error' }, message),
    input,
    el('button', { type: 'submit' }, 'Sign in'),
  );
  replace(page, form);
  status.textContent = 'signed out';
  status.classList.add('error');
}

async function tick(): Promise<void> {
  window.clearTimeout(timer);
  try {
    await render();
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    status.classList.remove('error');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      sessionToken.clear();
      askForToken(error.message);
      return;
    }
    status.textContent = `cannot refresh: ${(error as Error).message}`;
    status.classList.add('error');
    if (!page.hasChildNodes() || page.querySelector('p.muted:only-child')) replace(page, el('p', { class: 'error' }, (error as Error).message));
  }
  timer = window.setTimeout(() => void tick(), REFRESH_MS);
}

window.addEventListener('hashchange', () => void tick());
void tick();
