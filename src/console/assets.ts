/**
 * The console's stylesheet and its one script, served as files so the pages' Content
 * Security Policy can forbid inline code. The script only enhances: every page works
 * without it.
 */
export const consoleCss = `
:root { --ink: #1b1b1b; --muted: #4a4a4a; --line: #c9c9c9; --blue: #0b4f8a; --red: #9b1c1c; --bg: #f5f6f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--blue); }
a:focus-visible, button:focus-visible, input:focus-visible, .scroll:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: #fff; padding: .5em 1em; z-index: 10; }
.skip:focus { left: 1em; top: 1em; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1em 2em; padding: .75em 1.5em; background: #12355b; color: #fff; }
.top a { color: #fff; }
.brand { font-weight: 700; font-size: 1.15em; }
.env { font-size: .75em; font-weight: 700; text-transform: uppercase; padding: .15em .5em; border-radius: 3px; background: #e8eef5; color: #12355b; margin-left: .5em; }
.env-production { background: #ffd9d9; color: #7a0000; }
.top nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .5em 1.5em; margin: 0; padding: 0; }
.count { display: inline-block; min-width: 1.6em; text-align: center; font-size: .85em; font-weight: 700; padding: 0 .45em; border-radius: 1em; margin-left: .3em; }
.count-none { background: #e8eef5; color: #12355b; }
.count-some { background: #f2a900; color: #1b1b1b; }
.top nav a { text-decoration: none; font-weight: 600; padding: .25em 0; }
.top nav a[aria-current="page"] { border-bottom: 3px solid #f2a900; }
.signout { margin-left: auto; display: flex; align-items: center; gap: .75em; }
main { max-width: 1280px; margin: 0 auto; padding: 1.5em; overflow-wrap: anywhere; }
main:focus { outline: none; }
h1 { font-size: 1.8em; margin: .2em 0 .6em; }
h2 { font-size: 1.3em; margin: 1.6em 0 .5em; }
table { width: 100%; border-collapse: collapse; background: #fff; margin: .5em 0 1em; overflow-wrap: normal; }
/* A shadow at an edge where more of the table is hidden: the white covers move with the content, the shadows stay. */
.scroll { position: relative; max-width: 100%; overflow-x: auto; margin: .5em 0 1em;
  background: linear-gradient(to right, #fff 30%, rgba(255, 255, 255, 0)) left / 3em 100% no-repeat local,
    linear-gradient(to left, #fff 30%, rgba(255, 255, 255, 0)) right / 3em 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, rgba(0, 0, 0, .3), transparent) left / 1em 100% no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%, rgba(0, 0, 0, .3), transparent) right / 1em 100% no-repeat scroll,
    #fff; }
.scroll > table { margin: 0; background: transparent; }
.health { max-width: 1280px; margin: 1em auto 0; padding: .8em 1.5em; border-left: 8px solid; overflow-wrap: anywhere; }
.health h2 { font-size: 1.15em; margin: 0 0 .4em; }
.health ul { margin: 0; padding-left: 1.2em; }
.health .note { margin: .5em 0 0; }
.health-failing { border-color: var(--red); background: #fdecec; }
.health-degraded { border-color: #c77c00; background: #fff4d6; }
.fields { list-style: none; margin: 0; padding: 0; }
.calls { padding-left: 1.6em; margin: .5em 0 1em; }
.calls > li { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6em 1em; margin: .5em 0; }
.calls p { margin: 0 0 .3em; }
.calls .fields { padding-left: 1em; }
.table-title { font-weight: 600; margin: 1em 0 .3em; }
th, td { text-align: left; vertical-align: top; padding: .55em .7em; border-bottom: 1px solid var(--line); }
th { background: rgba(11, 79, 138, .1); font-weight: 700; }
tbody tr:nth-child(even) { background: rgba(0, 0, 0, .02); }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .92em; }
code.wrap { overflow-wrap: anywhere; }
td code:not(.wrap), .badge, .nowrap { white-space: nowrap; }
td.long { min-width: 14em; }
.button { display: inline-block; font: inherit; font-weight: 700; font-size: 1em; padding: .6em 1.3em; border-radius: 4px; border: 2px solid var(--blue); background: var(--blue); color: #fff; text-decoration: none; cursor: pointer; }
.button.secondary { background: #fff; color: var(--blue); }
.button.danger { background: var(--red); border-color: var(--red); }
.button[disabled] { opacity: .7; cursor: progress; }
.top .button.secondary { padding: .3em .9em; }
.actions { display: flex; flex-wrap: wrap; gap: 1em; align-items: center; margin: 1em 0 1.5em; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1.5em; max-width: 32em; }
.stack > * + * { margin-top: 1.2em; }
.field label, .search label { display: block; font-weight: 700; margin-bottom: .3em; }
input[type="text"], input[type="password"], input[type="search"] { font: inherit; width: 100%; padding: .55em .7em; border: 2px solid #6b6b6b; border-radius: 4px; background: #fff; }
.search { max-width: 44em; margin-bottom: 1.5em; }
.search .row { display: flex; gap: .75em; }
.search .row .button { flex: none; }
.hint { color: var(--muted); margin: .3em 0 0; font-size: .92em; }
.lead { font-size: 1.1em; }
select { font: inherit; max-width: 100%; padding: .45em .6em; border: 2px solid #6b6b6b; border-radius: 4px; background: #fff; color: var(--ink); }
.filters { display: flex; flex-wrap: wrap; gap: .8em 1.25em; align-items: flex-end; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1em 1.25em; margin: 1em 0 1.5em; }
.filters .field { flex: 1 1 12em; min-width: 0; }
.filters .field label { display: block; font-weight: 700; margin-bottom: .3em; }
.filters select { width: 100%; }
.filter-actions { display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: center; }
.pager { display: flex; flex-wrap: wrap; gap: 1em; align-items: center; margin: 1em 0; }
.retry-all { margin: 1.5em 0 2em; }
table.stuck .badge { white-space: normal; }
table.stuck td:first-child { min-width: 9em; }
.notice { padding: .8em 1em; border-radius: 4px; margin: 1em 0; border-left: 6px solid; background: #fff; }
.notice-error { border-color: var(--red); background: #fdecec; }
.notice-success { border-color: #1e6b24; background: #e7f4e8; }
.notice-info { border-color: var(--blue); background: #e8eef5; }
.badge { display: inline-block; font-weight: 700; font-size: .88em; padding: .1em .55em; border-radius: 3px; white-space: nowrap; }
.badge-applied { background: #dcefdc; color: #1b5e20; }
.badge-incomplete { background: #fff0c2; color: #6b4200; }
.badge-dead-lettered { background: #fbdada; color: #8a1414; }
.badge-rejected { background: #e4e4e4; color: #333; }
.note { color: var(--muted); font-size: .92em; }
.ok { color: #1b5e20; font-weight: 600; }
.failed, .error-text { color: #8a1414; }
.failed { font-weight: 700; }
.plain { padding-left: 1.2em; }
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(14em, 100%), 1fr)); gap: .8em 1.5em; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1em 1.25em; margin: 0; }
.summary dt { font-weight: 700; color: var(--muted); font-size: .9em; text-transform: capitalize; }
.summary dd { margin: 0; }
.empty { font-size: 1.1em; background: #fff; padding: 1em 1.25em; border: 1px solid var(--line); border-radius: 6px; }
.chart { width: 100%; max-width: 900px; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
.chart .axis { font-size: 11px; fill: #333; }
.chart .grid { stroke: #bbb; stroke-width: 1; }
.fill-applied { fill: #2e7d32; background: #2e7d32; }
.fill-incomplete { fill: #c77c00; background: #c77c00; }
.fill-dead-lettered { fill: #b71c1c; background: #b71c1c; }
.fill-rejected { fill: #6c757d; background: #6c757d; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 1.5em; padding: 0; margin: .5em 0; }
.swatch { display: inline-block; width: .9em; height: .9em; margin-right: .4em; vertical-align: -.1em; }
.foot { max-width: 1280px; margin: 0 auto; padding: 1em 1.5em 2em; color: var(--muted); font-size: .9em; }
@media (max-width: 40em) {
  body { font-size: 16px; }
  .top, main, .foot { padding-left: 1em; padding-right: 1em; }
  .health { padding-left: 1em; padding-right: 1em; }
  .signout { margin-left: 0; flex-wrap: wrap; }
  .search .row { flex-wrap: wrap; }
  h1 { font-size: 1.5em; }
  .scroll th, .scroll td { min-width: 6.5em; }
  /* Wide enough, and its error wide enough, that a row stays a few lines high; the box scrolls sideways to the rest. */
  table.stuck { min-width: 64em; }
  table.stuck td.long { min-width: 22em; }
}
`;

/** A confirmed Knack write is sent once: the button is disabled while the page waits for the answer. */
export const consoleJs = `
document.addEventListener("submit", (event) => {
	const button = event.target.querySelector("button.danger");
	if (!button) return;
	setTimeout(() => { button.disabled = true; button.textContent = "Working…"; }, 0);
});
`;
