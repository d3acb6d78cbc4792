/**
 * The pipeline's steps as a read-only DAG, laid out from the positions saved in the file
 * (meta_data.position, the coordinates Orchest's editor stored), with the connections as curves.
 */
import type { StepSpec } from '../../../src/spec/browser.ts';

const NODE_W = 190;
const NODE_H = 54;
const PAD = 24;

export function Dag(props: { steps: Record<string, StepSpec> }) {
  const steps = Object.values(props.steps);
  if (steps.length === 0) {
    return <div className="dag dag-empty empty">This pipeline has no steps. Its services still run in a session.</div>;
  }
  const positions = new Map<string, [number, number]>();
  steps.forEach((step, index) => {
    const p = step.meta_data?.position;
    // Steps without a saved position go in a row so they are still visible.
    positions.set(step.uuid, Array.isArray(p) && p.length === 2 ? [Number(p[0]), Number(p[1])] : [index * (NODE_W + 60), 0]);
  });
  const xs = [...positions.values()].map((p) => p[0]);
  const ys = [...positions.values()].map((p) => p[1]);
  const minX = Math.min(...xs) - PAD;
  const minY = Math.min(...ys) - PAD;
  const width = Math.max(...xs) - minX + NODE_W + PAD;
  const height = Math.max(...ys) - minY + NODE_H + PAD;

  return (
    <figure className="dag" aria-label="Pipeline steps">
      <svg viewBox={`${minX} ${minY} ${width} ${height}`} role="img" aria-labelledby="dag-title" style={{ maxHeight: Math.min(height, 360) }}>
        <title id="dag-title">{`${steps.length} step${steps.length === 1 ? '' : 's'}: ${steps.map((s) => s.title).join(', ')}`}</title>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="dag-arrow" />
          </marker>
        </defs>
        {steps.flatMap((step) =>
          step.incoming_connections.map((from) => {
            const a = positions.get(from);
            const b = positions.get(step.uuid);
            if (!a || !b) return null;
            const x1 = a[0] + NODE_W;
            const y1 = a[1] + NODE_H / 2;
            const x2 = b[0];
            const y2 = b[1] + NODE_H / 2;
            const bend = Math.max(40, Math.abs(x2 - x1) / 2);
            return <path key={`${from}->${step.uuid}`} className="dag-edge" d={`M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`} markerEnd="url(#arrow)" />;
          }),
        )}
        {steps.map((step) => {
          const [x, y] = positions.get(step.uuid)!;
          return (
            <g key={step.uuid} transform={`translate(${x} ${y})`} className="dag-node">
              <rect width={NODE_W} height={NODE_H} rx={8} />
              <text x={12} y={22} className="dag-title">
                {clip(step.title || '(untitled)', 22)}
              </text>
              <text x={12} y={40} className="dag-file">
                {clip(step.file_path, 28)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
