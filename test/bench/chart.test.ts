import { expect, test } from "bun:test";
import { escapeXml, lineChart, yTicks } from "../../bench/lib/chart.ts";

/** The bench's SVG line chart: points where the axes say they are, text that cannot break the SVG. */

const numbers = (svg: string, pattern: RegExp) => [...svg.matchAll(pattern)].map((m) => m.slice(1).map(Number));

test("points sit on their category's tick and at their value's height on the y axis", () => {
	const svg = lineChart({
		title: "t",
		xLabel: "x",
		yLabel: "y",
		categories: ["a", "b", "c"],
		series: [{ name: "s", values: [0, 60, 100] }],
		width: 600,
		height: 300,
	});
	const circles = numbers(svg, /<circle cx="([\d.]+)" cy="([\d.]+)"/g);
	const xTicks = numbers(
		svg,
		/<line x1="([\d.]+)" x2="[\d.]+" y1="[\d.]+" y2="[\d.]+" stroke="#222"\/>\n<text[^>]*>[abc]</g,
	);
	// The gridline of each y tick, then its label.
	const grid = new Map(
		[...svg.matchAll(/<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)"[^>]*#dddddd"\/>\n<text[^>]*>([\d,]+)</g)].map((m) => [
			m[2],
			Number(m[1]),
		]),
	);
	expect(circles.map(([cx]) => cx)).toEqual(xTicks.map(([x]) => x));
	expect(circles[0]?.[0]).toBe(72 + 24);
	expect(circles[2]?.[0]).toBe(600 - 24 - 24);
	expect(circles.map(([, cy]) => cy)).toEqual([grid.get("0"), grid.get("60"), grid.get("100")]);
	expect(grid.get("0")).toBe(300 - 56);
	expect(grid.get("100")).toBe(60);
});

test("a NaN value leaves a gap instead of a point", () => {
	const svg = lineChart({
		title: "t",
		xLabel: "x",
		yLabel: "y",
		categories: ["a", "b"],
		series: [{ name: "s", values: [1, Number.NaN] }],
	});
	expect(svg.match(/<circle/g)?.length).toBe(1);
	expect(svg).not.toContain("NaN");
});

test("titles, labels, categories and series names are escaped", () => {
	const svg = lineChart({
		title: "p99 <ms> & more",
		xLabel: '"conns"',
		yLabel: "it's",
		categories: ["<1>"],
		series: [{ name: "a&b", values: [1] }],
	});
	expect(svg).toContain("<title>p99 &lt;ms&gt; &amp; more</title>");
	expect(svg).toContain(">p99 &lt;ms&gt; &amp; more</text>");
	expect(svg).toContain("&quot;conns&quot;");
	expect(svg).toContain("it&apos;s");
	expect(svg).toContain("&lt;1&gt;");
	expect(svg).toContain(">a&amp;b<");
	expect(svg).not.toContain("<1>");
	expect(escapeXml("<&>")).toBe("&lt;&amp;&gt;");
});

test("y ticks are round steps from 0 to at least the largest value", () => {
	expect(yTicks(100)).toEqual([0, 20, 40, 60, 80, 100]);
	expect(yTicks(1234)).toEqual([0, 500, 1000, 1500]);
	expect(yTicks(0.7)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
	expect(yTicks(0)).toEqual([0, 1]);
});
