// harness report viewer. Data is untrusted model output: it is only ever written with
// textContent / createTextNode, never innerHTML, and never used in URLs or attributes
// other than data-* indices.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var S = D.s;
  var MARK = { passed: "✓", failed: "✗", error: "!", skipped: "–", unknown: "?" };
  var PAGE = 100;
  var DIFFED = { "equals": 1, "json-equals": 1, "close-to": 1 };

  function str(i) { return i < 0 || i === null || i === undefined ? null : S[i]; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function option(select, value, label) {
    var o = el("option", null, label);
    o.value = value;
    select.appendChild(o);
  }

  // ---- sortable tables (leaderboard, pairwise) ----
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.tabIndex = 0;
      function sort() {
        var desc = th.getAttribute("aria-sort") !== "descending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var numeric = th.getAttribute("data-type") === "num";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var a = r1.cells[col].getAttribute("data-v"), b = r2.cells[col].getAttribute("data-v");
          if (numeric) {
            // unknown values always sort last
            if (a === "" && b === "") return 0;
            if (a === "") return 1;
            if (b === "") return -1;
            return desc ? parseFloat(b) - parseFloat(a) : parseFloat(a) - parseFloat(b);
          }
          return desc ? b.localeCompare(a) : a.localeCompare(b);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") sort(); });
    });
  });

  // ---- the case x model matrix ----
  var models = [], modelPos = {}, rows = [], rowPos = {}, specs = {}, tags = {};
  for (var i = 0; i < D.n; i++) {
    var m = D.model[i];
    if (!(m in modelPos)) { modelPos[m] = models.length; models.push(m); }
  }
  models.sort(function (a, b) { return S[a].localeCompare(S[b]); });
  models.forEach(function (m, k) { modelPos[m] = k; });
  for (i = 0; i < D.n; i++) {
    var key = D.spec[i] + ":" + D.case[i];
    var row = rowPos[key];
    if (row === undefined) {
      row = rowPos[key] = rows.length;
      rows.push({ spec: D.spec[i], kase: D.case[i], tags: {}, cells: [] });
    }
    var r = rows[row];
    specs[D.spec[i]] = 1;
    JSON.parse(S[D.tags[i]]).forEach(function (t) { r.tags[t] = 1; tags[t] = 1; });
    var c = modelPos[D.model[i]];
    (r.cells[c] = r.cells[c] || []).push(i);
  }
  rows.forEach(function (r) {
    r.cells.forEach(function (list) { list.sort(function (a, b) { return D.attempt[a] - D.attempt[b]; }); });
  });
  rows.sort(function (a, b) { return S[a.spec].localeCompare(S[b.spec]) || S[a.kase].localeCompare(S[b.kase]); });
  rows.forEach(function (r, k) { r.idx = k; });

  var fSpec = document.getElementById("f-spec"), fTag = document.getElementById("f-tag");
  var fModel = document.getElementById("f-model"), fOutcome = document.getElementById("f-outcome");
  var fCase = document.getElementById("f-case");
  Object.keys(specs).map(Number).sort(function (a, b) { return S[a].localeCompare(S[b]); })
    .forEach(function (s) { option(fSpec, s, S[s]); });
  Object.keys(tags).sort().forEach(function (t) { option(fTag, t, t); });
  models.forEach(function (m) { option(fModel, m, S[m]); });

  var visible = rows, page = 0;
  function status(i) { return D.statuses[D.status[i]]; }
  function shownModels() {
    return fModel.value === "" ? models : [Number(fModel.value)];
  }
  function matches(r, cols, outcome) {
    if (!outcome) return true;
    var seen = {}, n = 0;
    for (var k = 0; k < cols.length; k++) {
      var list = r.cells[modelPos[cols[k]]] || [];
      for (var j = 0; j < list.length; j++) {
        var st = status(list[j]);
        if (st === outcome) return true;
        if (!seen[st]) { seen[st] = 1; n++; }
      }
    }
    return outcome === "mixed" && n > 1;
  }
  function applyFilters() {
    var spec = fSpec.value, tag = fTag.value, outcome = fOutcome.value;
    var needle = fCase.value.toLowerCase(), cols = shownModels();
    visible = rows.filter(function (r) {
      if (spec !== "" && String(r.spec) !== spec) return false;
      if (tag !== "" && !r.tags[tag]) return false;
      if (needle && S[r.kase].toLowerCase().indexOf(needle) < 0) return false;
      return matches(r, cols, outcome);
    });
    page = 0;
    render();
  }
  function render() {
    var table = document.getElementById("matrix-table"), cols = shownModels();
    var head = table.tHead, body = table.tBodies[0];
    head.textContent = "";
    body.textContent = "";
    var hr = head.insertRow();
    hr.appendChild(el("th", null, "spec"));
    hr.appendChild(el("th", null, "case"));
    cols.forEach(function (m) { hr.appendChild(el("th", null, S[m])); });
    var pages = Math.max(1, Math.ceil(visible.length / PAGE));
    page = Math.min(page, pages - 1);
    visible.slice(page * PAGE, (page + 1) * PAGE).forEach(function (r) {
      var tr = body.insertRow();
      tr.appendChild(el("td", null, S[r.spec]));
      tr.appendChild(el("td", null, S[r.kase]));
      cols.forEach(function (m) {
        var list = r.cells[modelPos[m]] || [];
        var td = el("td", "cell");
        if (!list.length) { td.textContent = "·"; td.className = ""; tr.appendChild(td); return; }
        var passed = 0;
        list.forEach(function (i) {
          var st = status(i);
          if (st === "passed") passed++;
          td.appendChild(el("span", "s-" + st, MARK[st] || "?"));
        });
        if (list.length > 1) td.appendChild(el("span", "count", " " + passed + "/" + list.length));
        td.tabIndex = 0;
        td.setAttribute("data-row", String(r.idx));
        td.setAttribute("data-model", String(m));
        td.title = S[r.kase] + " on " + S[m] + ": click for details";
        tr.appendChild(td);
      });
    });
    document.getElementById("page").textContent = "page " + (page + 1) + " of " + pages;
    document.getElementById("matrix-status").textContent =
      visible.length + " of " + rows.length + " cases shown; " +
      (D.total ? D.n + " of the run's " + D.total + " results on this page (see above)." : D.n + " results in this run.");
  }
  document.getElementById("prev").addEventListener("click", function () { if (page > 0) { page--; render(); } });
  document.getElementById("next").addEventListener("click", function () { page++; render(); });
  [fSpec, fTag, fModel, fOutcome].forEach(function (f) { f.addEventListener("change", applyFilters); });
  fCase.addEventListener("input", applyFilters);

  // ---- details of one cell ----
  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }
  function section(parent, title, text) {
    if (text === null || text === undefined || text === "") return;
    parent.appendChild(el("h4", null, title));
    parent.appendChild(el("pre", null, text));
  }
  function lookup(value, path) {
    if (!path) return value;
    var parts = String(path).replace(/\[(\d+)\]/g, ".$1").split(".");
    for (var k = 0; k < parts.length; k++) {
      if (parts[k] === "" || parts[k] === "$") continue;
      if (value === null || typeof value !== "object" || !(parts[k] in value)) return undefined;
      value = value[parts[k]];
    }
    return value;
  }
  function lineDiff(a, b) {
    // a small LCS on lines: expected and outputs are short
    var x = a.split("\n"), y = b.split("\n");
    if (x.length * y.length > 250000) return null;
    var L = [], p, q;
    for (p = 0; p <= x.length; p++) { L.push(new Array(y.length + 1).fill(0)); }
    for (p = x.length - 1; p >= 0; p--)
      for (q = y.length - 1; q >= 0; q--)
        L[p][q] = x[p] === y[q] ? L[p + 1][q + 1] + 1 : Math.max(L[p + 1][q], L[p][q + 1]);
    var pre = el("pre", "diff");
    p = 0; q = 0;
    function line(cls, mark, text) { pre.appendChild(el("span", cls, mark + " " + text + "\n")); }
    while (p < x.length || q < y.length) {
      if (p < x.length && q < y.length && x[p] === y[q]) { line("same", " ", x[p]); p++; q++; }
      else if (p < x.length && (q >= y.length || L[p + 1][q] >= L[p][q + 1])) { line("del", "-", x[p]); p++; }
      else { line("add", "+", y[q]); q++; }
    }
    return pre;
  }
  function diffs(parent, i) {
    var expected = str(D.expected[i]);
    if (!expected) return;
    var out = str(D.parsed[i]) || str(D.output[i]), got;
    try { got = JSON.parse(out); } catch (e) { got = out; }
    JSON.parse(expected).forEach(function (exp) {
      // only assertions whose value is the expected answer itself get a diff
      if (!exp || typeof exp !== "object" || !("value" in exp) || exp.negate) return;
      if (!DIFFED[exp.type]) return;
      var actual = lookup(got, exp.field || exp.path);
      var a = JSON.stringify(exp.value, null, 2), b = actual === undefined ? "(missing)" : JSON.stringify(actual, null, 2);
      if (a === b) return;
      parent.appendChild(el("h4", null, "diff for " + (exp.type || "assertion") + (exp.field ? " on " + exp.field : "") + " (- expected, + got)"));
      var d = lineDiff(a, String(b));
      if (d) parent.appendChild(d);
    });
  }
  function verdicts(parent, i) {
    var list = D.verdicts[i];
    if (!list.length) return;
    parent.appendChild(el("h4", null, "assertions"));
    var t = el("table"), h = t.createTHead().insertRow();
    ["assertion", "field", "verdict", "score", "reason"].forEach(function (x) { h.appendChild(el("th", null, x)); });
    var b = t.createTBody();
    list.forEach(function (v) {
      var tr = b.insertRow();
      tr.appendChild(el("td", null, S[v[0]]));
      tr.appendChild(el("td", null, str(v[4]) || ""));
      tr.appendChild(el("td", v[1] ? "s-passed" : "s-failed", v[1] ? "✓ pass" : (str(v[5]) ? "! error" : "✗ fail")));
      tr.appendChild(el("td", null, v[2] === null ? "" : score(v[2])));
      tr.appendChild(el("td", null, (str(v[3]) || "") + (str(v[5]) ? " [" + str(v[5]) + "]" : "")));
    });
    parent.appendChild(t);
  }
  function fmt(v, unit) { return v === null || v === undefined ? "—" : v + unit; }
  // scores to two decimals (0.33, 1); costs with two significant digits under a cent
  function score(v) { return v === null || v === undefined ? "—" : String(Number(Number(v).toFixed(2))); }
  function usd(v) {
    if (v === null || v === undefined) return "unknown";
    var a = Math.abs(v), digits = 4;
    if (a > 0 && a < 0.01) digits = Math.max(4, 1 - Math.floor(Math.log10(a)));
    return "$" + Number(v).toFixed(digits);
  }
  // a tool loop's or multi-turn exchange's steps (see harness/report/timeline.py)
  function timeline(parent, i) {
    var raw = D.steps ? str(D.steps[i]) : null;
    if (!raw) return;
    var t = JSON.parse(raw);
    parent.appendChild(el("h4", null, "trajectory (" + t.total + " step" + (t.total === 1 ? "" : "s") + ")"));
    var ol = el("ol", "timeline");
    t.steps.forEach(function (st, k) {
      if (k === t.gap_after && t.left_out > 0) {
        ol.appendChild(el("li", "gap note", "… " + t.left_out + " steps left out here (every step is in results.json and the store)"));
      }
      var li = el("li", "step");
      li.appendChild(el("div", "step-head",
        "step " + st.step + (st.turn && st.turn !== 1 ? " · turn " + st.turn : "") +
        " · tokens in/out " + fmt(st.input_tokens, "") + "/" + fmt(st.output_tokens, "") +
        " · cost " + usd(st.cost_usd) + " · latency " + fmt(st.latency_ms, " ms") +
        (st.finish ? " · finish " + st.finish : "")));
      st.sent.forEach(function (m) { li.appendChild(el("pre", "sent", "[" + m[0] + "] " + m[1])); });
      if (st.text) li.appendChild(el("pre", "answer", st.text));
      st.calls.forEach(function (c) { li.appendChild(el("pre", "call", "→ " + c[0] + " " + c[1])); });
      st.results.forEach(function (r) {
        li.appendChild(el("pre", r[2] === null ? "result" : "result tool-error",
          "← " + r[0] + (r[2] === null ? ": " : " failed (" + r[2] + "): ") + r[1]));
      });
      ol.appendChild(li);
    });
    parent.appendChild(ol);
  }
  function openDetails(td) {
    var r = rows[Number(td.getAttribute("data-row"))], m = Number(td.getAttribute("data-model"));
    var list = r.cells[modelPos[m]] || [];
    var panel = document.getElementById("details"), body = document.getElementById("details-body");
    document.getElementById("details-title").textContent = S[r.spec] + " / " + S[r.kase] + " on " + S[m];
    body.textContent = "";
    list.forEach(function (i) {
      var box = el("div", "attempt");
      var st = status(i);
      box.appendChild(el("h3", "s-" + st, MARK[st] + " attempt " + D.attempt[i] + ": " + st));
      box.appendChild(el("p", "note",
        "score " + score(D.score[i]) + " · latency " + fmt(D.latency[i], " ms") +
        (D.recorded[i] ? " (recorded timings)" : "") + " · TTFT " + fmt(D.ttft[i], " ms") +
        " · tokens in/out " + fmt(D.tin[i], "") + "/" + fmt(D.tout[i], "") +
        " · cost " + usd(D.cost[i]) +
        (D.repaired[i] ? " · JSON repaired" : "")));
      section(box, "error", str(D.error[i]));
      section(box, D.tin[i] === null ? "prompt" : "prompt (" + D.tin[i] + " tokens in)", str(D.prompt[i]));
      var out = str(D.output[i]), tr = D.transformed ? str(D.transformed[i]) : null;
      section(box, tr === null ? "output" : "raw output", out === null ? null : pretty(out));
      section(box, "transformed output (what the assertions checked)", tr === null ? null : pretty(tr));
      section(box, "parsed output (after JSON repair)", str(D.parsed[i]));
      timeline(box, i);
      section(box, "expected (as the spec wrote it)", str(D.written[i]));
      var vars = str(D.vars[i]);
      section(box, "case vars", vars === null ? null : pretty(vars));
      verdicts(box, i);
      diffs(box, i);
      body.appendChild(box);
    });
    panel.hidden = false;
    document.getElementById("details-close").focus();
  }
  var table = document.getElementById("matrix-table");
  table.addEventListener("click", function (ev) {
    var td = ev.target.closest ? ev.target.closest("td.cell") : null;
    if (td) openDetails(td);
  });
  table.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && ev.target.classList.contains("cell")) openDetails(ev.target);
  });
  document.getElementById("details-close").addEventListener("click", function () {
    document.getElementById("details").hidden = true;
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") document.getElementById("details").hidden = true;
  });
  applyFilters();
})();
