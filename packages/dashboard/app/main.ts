// The dashboard's entry: a hash router (`#/` the overview, `#/jobs/<id>` a
// job) and the refresh loop, which polls the REST API every second and
// updates the page in place.
import 'uplot/dist/uPlot.min.css';
import './style.css';
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

async function tick(): Promise<void> {
  window.clearTimeout(timer);
  try {
    await render();
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    status.classList.remove('error');
  } catch (error) {
    status.textContent = `cannot refresh: ${(error as Error).message}`;
    status.classList.add('error');
    if (!page.hasChildNodes() || page.querySelector('p.muted:only-child')) replace(page, el('p', { class: 'error' }, (error as Error).message));
  }
  timer = window.setTimeout(() => void tick(), REFRESH_MS);
}

window.addEventListener('hashchange', () => void tick());
void tick();
