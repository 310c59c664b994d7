/*
 * gen-unicode-tables.mjs: writes c/unicode_tables.c, the Unicode data the engine needs to behave
 * as Python's str.lower(), int() and float() do.
 *
 * Owns: deriving the tables from this Node's own Unicode data (String.prototype.toLowerCase and
 * the \p{...} regex properties, which follow the same Unicode version as Python 3.12 closely).
 * Nothing is copied from another project. Run it again after a Node upgrade and commit the
 * output: node scripts/gen-unicode-tables.mjs > c/unicode_tables.c
 *
 * Must stay true: the output is deterministic (same Node, same bytes); every range table is
 * sorted and non-overlapping (the C side binary-searches them); the checks below abort rather
 * than write a table that breaks an assumption of c/unicode_tables.h.
 */

const MAX = 0x10ffff;
const isSurrogate = (cp) => cp >= 0xd800 && cp <= 0xdfff;
const hex = (n) => '0x' + n.toString(16).toUpperCase().padStart(4, '0');
const fail = (msg) => { console.error(`gen-unicode-tables: ${msg}`); process.exit(1); };

// Simple (one code point to one code point) lower-case mappings, as runs of
// {first, last, delta, step}: cp in [first, last] with (cp - first) % step == 0 maps to cp + delta.
const single = [];
for (let cp = 0; cp <= MAX; cp++) {
  if (isSurrogate(cp)) continue;
  const lower = [...String.fromCodePoint(cp).toLowerCase()].map((c) => c.codePointAt(0));
  if (lower.length === 1 && lower[0] !== cp) single.push([cp, lower[0] - cp]);
  else if (lower.length > 1 && cp !== 0x130) fail(`unexpected multi-character lower case of ${hex(cp)}`);
}
const lowerRuns = [];
for (let i = 0; i < single.length;) {
  const [first, delta] = single[i];
  // Prefer the longer of a step-1 run and a step-2 run starting here.
  let j1 = i;
  while (j1 + 1 < single.length && single[j1 + 1][0] === single[j1][0] + 1 && single[j1 + 1][1] === delta) j1++;
  let j2 = i;
  while (j2 + 1 < single.length && single[j2 + 1][0] === single[j2][0] + 2 && single[j2 + 1][1] === delta) j2++;
  if (j2 > j1) { lowerRuns.push([first, single[j2][0], delta, 2]); i = j2 + 1; }
  else { lowerRuns.push([first, single[j1][0], delta, 1]); i = j1 + 1; }
}

// Ranges of code points with a property, as {first, last}.
function ranges(test) {
  const out = [];
  let start = -1;
  for (let cp = 0; cp <= MAX + 1; cp++) {
    const has = cp <= MAX && !isSurrogate(cp) && test(cp);
    if (has && start < 0) start = cp;
    if (!has && start >= 0) { out.push([start, cp - 1]); start = -1; }
  }
  return out;
}
const prop = (name) => { const re = new RegExp(`^\\p{${name}}$`, 'u'); return (cp) => re.test(String.fromCodePoint(cp)); };
const cased = ranges(prop('Cased'));
const caseIgnorable = ranges(prop('Case_Ignorable'));
const digits = ranges(prop('Nd'));
for (const [a, b] of digits) if ((b - a + 1) % 10 !== 0) fail(`decimal digit run ${hex(a)}..${hex(b)} is not whole 0-9 sequences`);

// Packing (see c/unicode_tables.h): each table is a byte stream with two LEB128 numbers per
// entry, the gap from the previous entry's last code point (0 before the first) to its first,
// and its span: last - first for a range, (last - first) * 2 + step - 1 for a lower-case run.
// Every UNI_BLOCK entries a block word, base << 11 | byte offset, lets the lookup binary-search
// to a block (base: the last code point before the block) and decode at most UNI_BLOCK entries.
// A lower-case run's delta is stored once in uni_lower_deltas, picked by a uint8 index.
const UNI_BLOCK = 16, OFFSET_MAX = 0x7ff;
const deltas = [...new Set(lowerRuns.map((r) => r[2]))];
if (deltas.length > 256) fail(`${deltas.length} distinct lower-case deltas do not fit a uint8 index`);
for (const rows of [lowerRuns, cased, caseIgnorable, digits]) {
  if (rows[0][0] === 0) fail('a table starts at U+0000, which the block search cannot find');
  for (let i = 1; i < rows.length; i++) if (rows[i][0] <= rows[i - 1][1]) fail(`tables must be sorted and not overlap near ${hex(rows[i][0])}`);
}
for (const [a, b, , step] of lowerRuns) if (step < 1 || step > 2) fail(`lower-case run ${hex(a)}..${hex(b)} has step ${step}`);

function encode(rows, span) {
  const bytes = [], blocks = [];
  let last = 0;
  rows.forEach((row, i) => {
    if (i % UNI_BLOCK === 0) {
      if (bytes.length > OFFSET_MAX) fail(`a table's byte stream is longer than a block word can point into`);
      blocks.push(`${hex(last)}u << 11 | ${bytes.length}`);
    }
    for (let v of [row[0] - last, span(row)]) {
      do { const b = v & 0x7f; v = Math.floor(v / 128); bytes.push(v ? b | 0x80 : b); } while (v);
    }
    last = row[1];
  });
  return { bytes, blocks, count: rows.length };
}

function list(ctype, name, items, perLine, linkage = 'static ') {
  const lines = [];
  for (let i = 0; i < items.length; i += perLine) lines.push('    ' + items.slice(i, i + perLine).map((x) => `${x},`).join(' '));
  return `${linkage}const ${ctype} ${name}[] = {\n${lines.join('\n')}\n};\n`;
}

function packed(name, rows, span, spanShift) {
  const t = encode(rows, span);
  return list('uint8_t', `${name}_bytes`, t.bytes, 16) + list('uint32_t', `${name}_blocks`, t.blocks, 4) +
    `const uni_table ${name} = { ${name}_bytes, ${name}_blocks, ${t.count}, ${spanShift} };\n`;
}

const out = `/*
 * unicode_tables.c: GENERATED by scripts/gen-unicode-tables.mjs from Node ${process.versions.node}
 * (ICU ${process.versions.icu}, Unicode ${process.versions.unicode}). Do not edit by hand; run the script.
 *
 * Owns: the Unicode data behind Python's str.lower() (simple lower-case mappings, Cased and
 * Case_Ignorable for the final-sigma rule) and int()/float() (decimal digits, category Nd).
 * Must stay true: every table is sorted by code point and its entries do not overlap; the
 * packing is the one unicode_tables.h describes (the script checks every entry fits it).
 */
#include "unicode_tables.h"

${packed('uni_lower_runs', lowerRuns, ([a, b, , st]) => (b - a) * 2 + st - 1, 1)}
${list('uint8_t', 'uni_lower_delta_index', lowerRuns.map((r) => deltas.indexOf(r[2])), 16, '')}
${list('int32_t', 'uni_lower_deltas', deltas, 12, '')}
${packed('uni_cased', cased, ([a, b]) => b - a, 0)}
${packed('uni_case_ignorable', caseIgnorable, ([a, b]) => b - a, 0)}
${packed('uni_decimal', digits, ([a, b]) => b - a, 0)}`;
process.stdout.write(out);
