/*
 * tap.js: prints test results in the TAP-like form tests/run-all.mjs counts.
 *
 * Owns: the report format shared by the runtime and browser drivers:
 *   "ok N - name" / "not ok N - name # detail", then "1..N", "# pass P", "# fail F".
 *
 * Must stay true: runtime-agnostic (plain ES module, only console.log), so Node, Deno and
 * the browser drivers print the same thing; the "# pass"/"# fail" pair is printed exactly once,
 * last, and counts every result line printed before it.
 */

/** Flattens a detail text onto one line so it cannot be mistaken for a TAP line. */
function oneLine(text) {
  return String(text ?? '').replace(/\s*\n\s*/g, ' | ').slice(0, 2000);
}

/** Creates a reporter. report(name, ok, detail) prints one line; finish() prints the totals. */
export function createTapReporter(print = (line) => console.log(line)) {
  let count = 0;
  let failed = 0;
  print('TAP version 13');
  return {
    comment(text) { for (const line of String(text).split('\n')) print(`#   ${line}`); },
    report(name, ok, detail) {
      count++;
      if (!ok) failed++;
      const suffix = detail ? ` # ${oneLine(detail)}` : '';
      print(`${ok ? 'ok' : 'not ok'} ${count} - ${oneLine(name)}${suffix}`);
    },
    reportAll(results, prefix = '') {
      for (const r of results) this.report(prefix + r.name, r.ok === true, r.ok === true ? '' : r.detail);
    },
    finish() {
      print(`1..${count}`);
      print(`# pass ${count - failed}`);
      print(`# fail ${failed}`);
      return { passed: count - failed, failed };
    },
  };
}
