// The job graph drawn as a DAG: @dagrejs/dagre lays the vertices and edges
// out (left to right), the dashboard draws them as SVG. Each vertex shows its
// name, parallelism, records/s in and out, backpressure (its colour) and
// watermark; clicking one selects it for the subtask table.
import dagre, { type Point } from '@dagrejs/dagre';
import type { Job } from './api.ts';
import { compact, time } from './dom.ts';
import { vertexFigures } from '@weir/protocol/vertex-figures';

const SVG = 'http://www.w3.org/2000/svg';
const NODE_WIDTH = 300;
const NODE_HEIGHT = 100;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Draws `job`'s graph into `container`; `selected` is highlighted, `onSelect` called with a clicked vertex's id. */
export function drawJobGraph(container: Element, job: Job, selected: string | undefined, onSelect: (vertexId: string) => void): void {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 70, marginx: 10, marginy: 10 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const v of job.vertices) graph.setNode(v.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of job.plan.edges) graph.setEdge(e.source, e.target, { label: e.partitioning });
  dagre.layout(graph);

  const layout = graph.graph();
  const root = svg('svg', { width: layout.width ?? 0, height: layout.height ?? 0, class: 'job-graph', role: 'img', 'aria-label': `job graph of ${job.name}` });
  const defs = svg('defs', {});
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' });
  marker.appendChild(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }));
  defs.appendChild(marker);
  root.appendChild(defs);

  for (const e of graph.edges()) {
    const points: Point[] = (graph.edge(e) as { points?: Point[] }).points ?? [];
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' ');
    const edge = job.plan.edges.find((p) => p.source === e.v && p.target === e.w);
    root.appendChild(svg('path', { d, class: 'edge', 'marker-end': 'url(#arrow)' }));
    const middle = points[Math.floor(points.length / 2)];
    if (middle && edge) root.appendChild(svg('text', { x: middle.x, y: middle.y - 6, class: 'edge-label', 'text-anchor': 'middle' }, edge.sideOutput ? `${edge.partitioning} (${edge.sideOutput})` : edge.partitioning));
  }

  for (const vertex of job.vertices) {
    const node = graph.node(vertex.id);
    const f = vertexFigures(vertex);
    const x = node.x - NODE_WIDTH / 2;
    const y = node.y - NODE_HEIGHT / 2;
    const group = svg('g', {
      class: `vertex bp-${f.backpressure.toLowerCase()}${vertex.id === selected ? ' selected' : ''}`,
      transform: `translate(${x}, ${y})`,
      'data-testid': 'vertex',
      'data-vertex-id': vertex.id,
      'data-parallelism': vertex.parallelism,
      'data-records-in-rate': f.recordsInPerSecond,
      'data-records-out-rate': f.recordsOutPerSecond,
      'data-backpressure': f.backpressure,
    });
    group.appendChild(svg('rect', { width: NODE_WIDTH, height: NODE_HEIGHT, rx: 6 }));
    group.appendChild(svg('title', {}, `${vertex.name}\n${vertex.operators.join('\n')}`));
    const lines = [
      [shorten(vertex.name, 40), 'name'],
      [`parallelism ${vertex.parallelism}`, ''],
      [`in ${compact(f.recordsInPerSecond)}/s · out ${compact(f.recordsOutPerSecond)}/s`, ''],
      [`backpressure ${f.backpressure} (${Math.round(f.backPressuredMsPerSecond)} ms/s) · busy ${Math.round(f.busyMsPerSecond)} ms/s`, ''],
      [f.watermark === null ? 'no watermark' : `watermark ${time(f.watermark)}`, ''],
    ] as const;
    lines.forEach(([text, cls], i) => group.appendChild(svg('text', { x: 10, y: 20 + i * 18, class: cls }, text)));
    group.addEventListener('click', () => onSelect(vertex.id));
    root.appendChild(group);
  }
  container.replaceChildren(root);
}
