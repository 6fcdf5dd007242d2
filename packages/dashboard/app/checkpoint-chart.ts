// The checkpoint history as a chart (uPlot): duration (ms, left axis) and
// size (bytes, right axis) of every completed checkpoint, by checkpoint id.
import uPlot from 'uplot';
import type { CheckpointView } from './api.ts';
import { bytes } from './dom.ts';

/** A chart that keeps its canvas and takes new data on every refresh. */
export class CheckpointChart {
  private readonly container: HTMLElement;
  private plot: uPlot | undefined;

  constructor(container: HTMLElement) {
    this.container = container;
  }

  /** Shows the completed checkpoints of `history`. */
  update(history: CheckpointView[]): void {
    const completed = history.filter((c) => c.status === 'COMPLETED');
    const data: uPlot.AlignedData = [completed.map((c) => c.checkpointId), completed.map((c) => c.durationMs ?? 0), completed.map((c) => c.bytes)];
    this.container.dataset.points = String(completed.length);
    if (!this.plot) {
      this.plot = new uPlot(
        {
          width: Math.max(320, Math.min(900, this.container.clientWidth || 640)),
          height: 220,
          scales: { x: { time: false }, size: {} },
          series: [
            { label: 'checkpoint' },
            { label: 'duration (ms)', stroke: '#1f77b4', width: 2, points: { show: true } },
            { label: 'size', stroke: '#ff7f0e', width: 2, scale: 'size', value: (_u, v) => (v === null ? '–' : bytes(v)), points: { show: true } },
          ],
          axes: [{ label: 'checkpoint id', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, { label: 'ms' }, { scale: 'size', side: 1, grid: { show: false }, values: (_u, ticks) => ticks.map((t) => bytes(t)) }],
        },
        data,
        this.container,
      );
    } else {
      this.plot.setData(data);
    }
  }
}
