/**
 * A line chart as a standalone SVG file, for BENCHMARKS.md: categories along x (evenly
 * spaced, so 0 and 1,000,000 events fit on one axis), a linear y from 0, a legend. No
 * dependency; a white background of its own, so the chart reads the same on GitHub's
 * light and dark themes.
 */
export interface ChartSeries {
	name: string;
	/** one value per category; NaN leaves a gap */
	values: number[];
}

export interface LineChartOptions {
	title: string;
	xLabel: string;
	yLabel: string;
	categories: string[];
	series: ChartSeries[];
	width?: number;
	height?: number;
}

/** Colour-blind-safe (Okabe–Ito), dark enough on white. */
const colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"];
const margin = { top: 60, right: 24, bottom: 56, left: 72 };
/** Space between the plot's edge and its first and last category. */
const inset = 24;

export function escapeXml(text: string): string {
	return text.replace(/[&<>"']/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`);
}

/** Round tick steps (1, 2, 5 × 10^k), about five of them from 0 to past `max`. */
export function yTicks(max: number): number[] {
	if (!(max > 0)) return [0, 1];
	const rough = max / 5;
	const power = 10 ** Math.floor(Math.log10(rough));
	const step = ([1, 2, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
	const ticks: number[] = [];
	for (let t = 0; t < max + step; t += step) ticks.push(Number(t.toPrecision(12)));
	return ticks;
}

const label = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 2 });
const px = (n: number) => Number(n.toFixed(1));

export function lineChart(o: LineChartOptions): string {
	const width = o.width ?? 640;
	const height = o.height ?? 360;
	const plot = { left: margin.left, top: margin.top, right: width - margin.right, bottom: height - margin.bottom };
	const finite = o.series.flatMap((s) => s.values).filter(Number.isFinite);
	const ticks = yTicks(Math.max(0, ...finite));
	const top = ticks.at(-1) as number;
	const n = o.categories.length;
	const x = (i: number) =>
		px(
			n === 1 ? (plot.left + plot.right) / 2 : plot.left + inset + (i * (plot.right - plot.left - 2 * inset)) / (n - 1),
		);
	const y = (v: number) => px(plot.bottom - (v / top) * (plot.bottom - plot.top));
	const text = (tx: number, ty: number, content: string, attrs = "") =>
		`<text x="${px(tx)}" y="${px(ty)}"${attrs ? ` ${attrs}` : ""}>${escapeXml(content)}</text>`;

	const parts = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#222">`,
		// The title again for screen readers (and Biome's a11y rule, which CI runs over the SVG files too).
		`<title>${escapeXml(o.title)}</title>`,
		`<rect width="${width}" height="${height}" fill="#ffffff"/>`,
		text(width / 2, 24, o.title, 'text-anchor="middle" font-size="15" font-weight="bold"'),
	];
	for (const t of ticks) {
		parts.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${y(t)}" y2="${y(t)}" stroke="#dddddd"/>`);
		parts.push(text(plot.left - 8, y(t) + 4, label(t), 'text-anchor="end"'));
	}
	parts.push(
		`<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" stroke="#222"/>`,
		`<line x1="${plot.left}" x2="${plot.left}" y1="${plot.top}" y2="${plot.bottom}" stroke="#222"/>`,
	);
	o.categories.forEach((c, i) => {
		parts.push(`<line x1="${x(i)}" x2="${x(i)}" y1="${plot.bottom}" y2="${plot.bottom + 5}" stroke="#222"/>`);
		parts.push(text(x(i), plot.bottom + 18, c, 'text-anchor="middle"'));
	});
	parts.push(text((plot.left + plot.right) / 2, height - 14, o.xLabel, 'text-anchor="middle"'));
	parts.push(
		text(
			18,
			(plot.top + plot.bottom) / 2,
			o.yLabel,
			`text-anchor="middle" transform="rotate(-90 18 ${px((plot.top + plot.bottom) / 2)})"`,
		),
	);
	o.series.forEach((s, k) => {
		const colour = colours[k % colours.length] as string;
		const points = s.values.flatMap((v, i) => (Number.isFinite(v) ? [[x(i), y(v)] as const] : []));
		parts.push(
			`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map(([px_, py]) => `${px_},${py}`).join(" ")}"/>`,
		);
		for (const [cx, cy] of points) parts.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${colour}"/>`);
		// Above the plot, one entry after another, where no line can run through it.
		const lx = plot.left + k * 110;
		parts.push(`<rect x="${lx}" y="${plot.top - 16}" width="14" height="4" fill="${colour}"/>`);
		parts.push(text(lx + 20, plot.top - 11, s.name));
	});
	parts.push("</svg>");
	return `${parts.join("\n")}\n`;
}
