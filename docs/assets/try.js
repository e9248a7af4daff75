// The "Try a case" page: decides the case in the page's address as of its date, from the data that
// policy/site/try_page.py writes into the page (the engine's own per-revision index and outcomes).
// Loaded on every page; does nothing where there is no data block. Table text is only ever set as
// text (textContent), never parsed as HTML. Nothing is fetched.
// Whatever is looked up by a name from the link or the policy (a field, a value) is kept in a Map,
// never in a plain object: a plain object answers to names it does not hold (`constructor`,
// `__proto__`, `toString`, ...), which would read as values and hide unknown fields.
(function () {
  "use strict";
  var block = document.getElementById("try-data");
  if (!block) return;
  var DATA = JSON.parse(block.textContent);
  var COLUMNS = DATA.columns; // [[name, [values...]], ...] in the engine's code order
  var VOCABULARY = new Map(COLUMNS.map(function (c) { return [c[0], c[1]]; }));
  var CODE_FIELDS = DATA.code_fields; // diagnosis, procedure: codes (docs/assets/try-codes.js)
  var CODES = window.policyTryCodes(DATA.code_sets);
  var FIELDS = ["as_of"].concat(DATA.text_fields, DATA.date_fields, COLUMNS.map(function (c) {
    return c[0];
  }), CODE_FIELDS);
  var CASE_FIELDS = DATA.text_fields.concat(DATA.date_fields, COLUMNS.map(function (c) {
    return c[0];
  }));
  var DATE_EXAMPLE = "2023-10-01";

  function word(value) { // a value as on the command line
    return value === true ? "true" : value === false ? "false" : String(value);
  }

  // --- dates: policy/dates.py, the one rule ------------------------------------------------------
  function dateProblem(text) {
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) {
      return "'" + text + "' is not a date in the form YYYY-MM-DD (e.g. " + DATE_EXAMPLE +
        "); times, zones, week dates and compact forms are not accepted";
    }
    var year = +text.slice(0, 4), month = +text.slice(5, 7), day = +text.slice(8, 10);
    var leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    var days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
    if (year < 1 || !days || day < 1 || day > days) {
      return "'" + text + "' is not a real calendar date";
    }
    return null;
  }

  // --- the case in the query ---------------------------------------------------------------------
  // `query`: the URL query without its leading "?". Returns {date, known: Map name -> value,
  // caseId, serviceDate, codeTexts: Map field -> text, readings, resolution,
  // problems: [[field, message, kind]], params}.
  function readQuery(query) {
    // URLSearchParams drops one leading "?" of a string; the one given here, so that a "?" the
    // query itself starts with stays part of the first name (as in the address).
    var params = new URLSearchParams("?" + query);
    var seen = new Map(), problems = [], known = new Map(), caseId = null, asOf = null,
      serviceDate = null, codeTexts = new Map();
    params.forEach(function (value, name) {
      if (seen.has(name)) {
        if (seen.get(name) === 1) problems.push([name, name + " is given more than once"]);
        seen.set(name, seen.get(name) + 1);
        return;
      }
      seen.set(name, 1);
      if (CODE_FIELDS.indexOf(name) >= 0) {
        codeTexts.set(name, value);
      } else if (FIELDS.indexOf(name) < 0) {
        problems.push([name, "unknown field '" + name + "'; fields: " + FIELDS.join(", ")]);
      } else if (name === "as_of" || DATA.date_fields.indexOf(name) >= 0) {
        var bad = dateProblem(value);
        if (bad) problems.push([name, name + ": " + bad]);
        else if (name === "as_of") asOf = value;
        else serviceDate = value;
      } else if (DATA.text_fields.indexOf(name) >= 0) {
        caseId = value;
      } else {
        var allowed = VOCABULARY.get(name), found = allowed.filter(function (v) {
          return word(v) === value;
        });
        if (found.length) known.set(name, found[0]);
        else problems.push([name, name + " cannot be '" + value + "'; allowed: " +
          allowed.map(word).join(", ")]);
      }
    });
    var date = asOf !== null ? asOf : serviceDate;
    if (date === null && !seen.has("as_of") && !seen.has("service_date")) {
      problems.push(["as_of", "no date: choose a date of service"]);
    }
    // codes are read on the date of service: service_date, else as_of (case_codes.py)
    var codeDay = seen.has("service_date") ? serviceDate : date;
    var read = readCodes(codeTexts, codeDay, known);
    return { date: date, known: known, caseId: caseId, serviceDate: serviceDate, codeDay: codeDay,
      codeTexts: codeTexts, readings: read.readings, resolution: read.resolution,
      problems: problems.concat(read.problems), params: params };
  }

  // Every code of the link read on `day` (none without a day): the readings (unchecked ones
  // included, for the list of codes), the crosswalk's resolution of the others, and the
  // problems: each code the page cannot check, and each problem the engine finds in the rest.
  function readCodes(codeTexts, day, known) {
    var readings = [], problems = [];
    if (day === null || !codeTexts.size) return { readings: [], resolution: null, problems: [] };
    CODE_FIELDS.forEach(function (field) {
      if (!codeTexts.has(field)) return;
      CODES.split(codeTexts.get(field)).forEach(function (text) {
        var reading = CODES.read(text, field, day);
        readings.push(reading);
        if (reading.unchecked) {
          problems.push([field, field + "=" + CODES.escape(text) + ": not checked on this " +
            "page: it is not one of the codes the policy's crosswalk lists, and the page " +
            "checks only those against the code set of " + day + "; the command below reads " +
            "it with the full code sets", "unchecked"]);
        }
      });
    });
    var field = DATA.code_sets.field;
    var caseValue = field !== null && known.has(field) ? known.get(field) : null;
    var resolution = CODES.resolve(readings.filter(function (r) { return !r.unchecked; }),
      caseValue);
    resolution.problems.forEach(function (p) {
      problems.push([p[0], p[1] + ": " + p[2], "code"]);
    });
    return { readings: readings, resolution: resolution, problems: problems };
  }

  // --- the decision: CompiledPolicy.evaluate on the shipped lookups ------------------------------
  function revisionInForce(day) { // the latest revision with effective_from <= day (timeline.py)
    var found = null;
    DATA.revisions.forEach(function (r) { if (r.effective_from <= day) found = r; });
    return found;
  }

  function code(known) { // CompiledPolicy.code: mixed radix, unknown = the last digit
    var result = 0;
    COLUMNS.forEach(function (c) {
      var values = c[1];
      result = result * (values.length + 1) + (known.has(c[0]) ?
        values.indexOf(known.get(c[0])) : values.length);
    });
    return result;
  }

  // The object `policy evaluate --json` prints. `known`: a Map of field -> value (or an object,
  // of which only its own properties count).
  function decide(day, known, caseId) {
    if (!(known instanceof Map)) known = new Map(Object.entries(known || {}));
    var fields = new Map(), revision = revisionInForce(day);
    if (revision === null) {
      var none = DATA.no_policy;
      Object.keys(none.fields).forEach(function (k) { fields.set(k, none.fields[k]); });
      Object.keys(none.day_in).forEach(function (k) { fields.set(k, none.day_in[k].join(day)); });
    } else {
      var at = code(known), outcome = revision.outcomes[DATA.indexes[revision.index][at]];
      DATA.outcome_keys.forEach(function (k, i) { fields.set(k, DATA.values[k][outcome[i]]); });
      DATA.case_keys.forEach(function (k) {
        fields.set(k, DATA.values[k][DATA.indexes[revision.by_case[k]][at]]);
      });
    }
    var echoed = Object.create(null); // an own property for any name, `__proto__` too
    COLUMNS.forEach(function (c) { if (known.has(c[0])) echoed[c[0]] = known.get(c[0]); });
    fields.set("as_of", day);
    fields.set("case", echoed);
    fields.set("case_id", caseId);
    var decision = Object.create(null);
    DATA.keys.forEach(function (k) {
      decision[k] = fields.get(k) === undefined ? null : fields.get(k);
    });
    return decision;
  }

  // The decision of a case with codes, as codesets/case_codes.evaluate_with_codes makes it: the
  // value the codes name set, not_applicable when no procedure code is the governed service, the
  // codes listed and what they named added to the explanation.
  function decideWithCodes(state) {
    var resolution = state.resolution;
    if (resolution === null) return decide(state.date, state.known, state.caseId);
    var known = new Map(state.known);
    if (resolution.field !== null && resolution.naming === "one") {
      known.set(resolution.field, resolution.value);
    }
    var decision = decide(state.date, known, state.caseId);
    if (resolution.notApplicable && decision.determination !==
        DATA.no_policy.fields.determination) {
      decision = CODES.notApplicable(decision, resolution.readings.filter(function (r) {
        return r.field === "procedure";
      }).map(function (r) { return r.code; }));
    }
    decision.codes = CODES.items(resolution);
    var said = CODES.whatNamed(resolution);
    if (said) decision.explanation = decision.explanation + " " + said;
    return decision;
  }

  // --- the page ----------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  function words(code) { return String(code).replace(/_/g, " "); }

  function set(id, value, text) {
    var element = $(id);
    element.setAttribute("data-value", value);
    element.textContent = text === undefined ? value : text;
    return element;
  }

  function badge(determination) {
    var span = document.createElement("span");
    span.className = "det det-" + String(determination).replace(/[^a-z_]/g, "");
    span.textContent = words(determination);
    return span;
  }

  function revisionLinks() { // the revision pages' addresses, as MkDocs wrote them on this page
    var links = new Map();
    var box = $("try-revision-links");
    if (box) {
      Array.prototype.forEach.call(box.querySelectorAll("a"), function (a) {
        links.set(a.textContent.trim(), a.getAttribute("href"));
      });
    }
    return links;
  }
  var REVISION_LINKS = revisionLinks();

  function showRevision(revision) {
    var element = set("revision", revision ? revision.id : "", "");
    if (!revision) { element.textContent = "none in force"; return; }
    var href = REVISION_LINKS.get(revision.id);
    var name = document.createElement(href ? "a" : "strong");
    if (href) name.setAttribute("href", href);
    name.textContent = revision.id;
    element.appendChild(name);
    element.appendChild(document.createTextNode(
      " · version " + revision.version + " · effective " + revision.effective_from + " (" +
      revision.effective_from_basis + ")"));
  }

  function mark(provenance) { // verbatim or reconstructed, as on the revision pages
    var span = document.createElement("span");
    span.className = "prov prov-" + String(provenance).replace(/[^a-z]/g, "");
    span.textContent = provenance;
    return span;
  }

  function showStatement(decision) {
    var element = $("statement");
    element.textContent = "";
    if (!decision.source) {
      element.textContent = decision.determination === "indeterminate" ?
        "depends on the facts it needs" : "—";
      return;
    }
    // verbatim words are quoted; reconstructed words are not in the source, so never quoted
    var quote = document.createElement(decision.provenance === "verbatim" ? "q" : "span");
    quote.textContent = decision.source;
    element.appendChild(quote);
    if (decision.provenance) {
      element.appendChild(document.createTextNode(" "));
      element.appendChild(mark(decision.provenance));
    }
    if (decision.provenance_note) {
      var note = document.createElement("span");
      note.className = "try-note";
      note.textContent = " " + decision.provenance_note;
      element.appendChild(note);
    }
  }

  // A word as a POSIX shell (sh, bash, zsh) reads it back: as it is when every character is one
  // no shell treats specially (and it does not start with "=", which zsh expands), else in single
  // quotes, inside which nothing is special ($(...), backticks, double quotes, backslashes, !, *,
  // newlines stay text); a single quote itself is written '\'' (close the quotes, an escaped
  // quote, open them again).
  function shellWord(text) {
    return /^[A-Za-z0-9_@%+:,.\/-][A-Za-z0-9_@%+=:,.\/-]*$/.test(text) ? text :
      "'" + text.replace(/'/g, "'\\''") + "'";
  }

  function commandLine(state) { // the `policy evaluate` command of the case
    var known = state.known;
    var argv = ["policy", "evaluate", "--as-of", state.date || "DATE"];
    COLUMNS.forEach(function (c) {
      if (known.has(c[0])) argv.push(c[0] + "=" + word(known.get(c[0])));
    });
    CODE_FIELDS.forEach(function (field) { // the codes as given: the engine reads them itself
      if (state.codeTexts.has(field)) argv.push(field + "=" + state.codeTexts.get(field));
    });
    if (state.serviceDate !== null && state.date !== state.serviceDate) {
      argv.push("service_date=" + state.serviceDate); // the day the codes are read on
    }
    if (state.caseId !== null) argv.push("case_id=" + state.caseId);
    return argv.map(shellWord).join(" ");
  }

  function showProblems(problems) {
    var box = $("problems");
    box.textContent = "";
    var names = problems.map(function (p) { return p[0]; }).filter(function (n, i, all) {
      return all.indexOf(n) === i;
    }).sort();
    box.setAttribute("data-value", names.join(" "));
    box.hidden = problems.length === 0;
    if (!problems.length) return;
    var title = document.createElement("p");
    title.className = "try-problems-title";
    var unchecked = problems.every(function (p) { return p[2] === "unchecked"; });
    title.textContent = problems.length === 1 && problems[0][1].indexOf("no date") === 0 ?
      "Choose a date of service to decide the case." : unchecked ?
      "This page checks only the codes the policy's crosswalk lists; run the command below " +
      "to decide the case with the full code sets:" :
      "This link holds a value the policy does not allow; nothing is decided until it is fixed:";
    box.appendChild(title);
    var list = document.createElement("ul");
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.setAttribute("data-kind", p[2] || "field"); // code: the engine's; unchecked: not read
      item.textContent = p[1];
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function clearResult() {
    var det = set("determination", "", "not decided");
    det.className = "det det-none";
    set("possible", "", "");
    ["revision", "rule", "needs"].forEach(function (id) { set(id, "", "—"); });
    ["statement", "explanation", "disclaimer", "decision-json", "evidence",
      "evidence-scope"].forEach(function (id) { $(id).textContent = ""; });
    $("evidence-box").hidden = true;
    $("json-box").hidden = true;
    document.querySelectorAll(".try-optional").forEach(function (e) { e.hidden = true; });
  }

  // Each code as read: its system (and release), whether it is valid on the day, what it named.
  function showCodes(state) {
    var box = $("codes"), list = document.createElement("ul");
    box.textContent = "";
    var resolved = state.resolution ? CODES.items(state.resolution) : [], at = 0;
    state.readings.forEach(function (reading) {
      var item = document.createElement("li");
      if (reading.unchecked) {
        item.className = "try-code-unchecked";
        item.textContent = reading.given + ": not checked here (not in the policy's crosswalk " +
          "of codes): the command reads it";
        list.appendChild(item);
        return;
      }
      var r = resolved[at++];
      var head = r.code + " (" + (r.system || "no code system") +
        (r.release ? ", " + r.release : "") + ")";
      if (!r.valid) {
        item.className = "try-code-invalid";
        item.textContent = head + ": not valid on " + state.codeDay + ": " + r.why;
      } else {
        var what = r.field === "procedure" ? (r.governed === true ?
          "the service the policy governs" : r.governed === false ?
          "not a service the policy governs" : "a procedure code") :
          r.names ? Object.keys(r.names).map(function (k) { return k + "=" + r.names[k]; })
            .join(", ") : "names nothing";
        item.textContent = head + ": " + what + " · valid on " + state.codeDay + " (" + r.basis +
          ")";
        if (r.crosswalk && (r.names || r.governed !== null)) { // what the crosswalk said
          var reading = document.createElement("span");
          reading.className = "try-note";
          reading.textContent = " (by the crosswalk of codes: the project's reading)";
          item.appendChild(reading);
        }
      }
      list.appendChild(item);
    });
    if (state.readings.length) box.appendChild(list);
    else box.textContent = "—";
    box.setAttribute("data-value", state.readings.map(function (r) {
      return r.unchecked ? "" : (r.valid ? "" : "!") + r.code;
    }).join(" "));
  }

  function showDecision(decision) {
    var det = set("determination", decision.determination, words(decision.determination));
    det.className = "det det-" + String(decision.determination).replace(/[^a-z_]/g, "");
    var possible = set("possible", (decision.possible || []).join(" "), "");
    if (decision.possible && decision.possible.length) {
      possible.appendChild(document.createTextNode("could be "));
      decision.possible.forEach(function (p, i) {
        if (i) possible.appendChild(document.createTextNode(" or "));
        possible.appendChild(badge(p));
      });
    }
    showRevision(decision.revision);
    var several = !decision.rule && decision.rules && decision.rules.length > 1 &&
      decision.determination !== "indeterminate";
    set("rule", decision.rule || "", decision.rule ? decision.rule : several ?
      decision.rules.join(" or ") + " (depending on the unknown facts)" : "—");
    var needs = (decision.needs || []).slice().sort();
    set("needs", needs.join(" "), needs.length ? needs.join(", ") : "—");
    showStatement(decision);
    $("explanation").textContent = decision.explanation || "";
    // the disclaimer qualifies a determination: none with no revision in force (as the text output)
    var disclaimer = decision.revision ? decision.disclaimer : null;
    $("disclaimer").textContent = disclaimer || "";
    if (disclaimer && decision.disclaimer_provenance) {
      $("disclaimer").appendChild(document.createTextNode(" "));
      $("disclaimer").appendChild(mark(decision.disclaimer_provenance));
    }
    if (disclaimer && decision.disclaimer_note) { // how it is carried to this date
      var carried = document.createElement("span");
      carried.className = "try-note";
      carried.textContent = " " + decision.disclaimer_note;
      $("disclaimer").appendChild(carried);
    }
    document.querySelectorAll(".try-optional").forEach(function (e) { e.hidden = !disclaimer; });
    $("evidence").textContent = decision.evidence || "";
    $("evidence-scope").textContent = decision.evidence_scope ? "Scope: " +
      decision.evidence_scope : "";
    $("evidence-box").hidden = !decision.evidence;
    $("decision-json").textContent = JSON.stringify(decision, null, 2);
    $("json-box").hidden = false;
  }

  var RADIOS = Array.prototype.slice.call(
    document.querySelectorAll('#try-form input[type="radio"]'));
  var TEXTS = Array.prototype.slice.call(document.querySelectorAll('#try-form input.try-codes'));
  var FIELDSETS = Array.prototype.slice.call(document.querySelectorAll("#try-form .try-field"));

  function syncControls(state) {
    var asOf = state.params.get("as_of"); // the first one given, or null
    $("as_of").value = asOf !== null ? asOf : ""; // as given, even when it is no date
    $("as_of-revision").value = "";
    var bad = new Set(state.problems.map(function (p) { return p[0]; }));
    RADIOS.forEach(function (input) {
      var name = input.name;
      var want = bad.has(name) ? null : state.known.has(name) ? word(state.known.get(name)) : "";
      var checked = input.value === want; // an invalid value is not shown as unknown
      if (input.checked !== checked) input.checked = checked;
    });
    TEXTS.forEach(function (input) {
      var given = state.params.get(input.name);
      if (document.activeElement !== input) input.value = given === null ? "" : given;
    });
    FIELDSETS.forEach(function (fieldset) {
      fieldset.classList.toggle("try-invalid", bad.has(fieldset.getAttribute("data-field")));
    });
  }

  function withoutMark(query) { return String(query).replace(/^\?/, ""); } // "?" optional

  // Show the case in `query` (a URL query, "?" optional): set the controls to it and decide it.
  // Returns the contract's data-values as shown.
  function render(query) { return display(withoutMark(query)); }

  // A value the revision in force does not know (a later revision introduces it) makes the case
  // invalid, as `policy evaluate` says (CompiledPolicy.check_known): [[field, message]].
  function notKnown(day, known) {
    var revision = revisionInForce(day), found = [];
    if (revision === null) return found;
    revision.not_known.forEach(function (entry) {
      if (known.has(entry[0]) && word(known.get(entry[0])) === entry[1]) {
        found.push([entry[0], entry[2]]);
      }
    });
    return found;
  }

  function display(query) { // `render` of a query without its "?"
    var state = readQuery(query);
    if (!state.problems.length) state.problems = notKnown(state.date, state.known);
    syncControls(state);
    showProblems(state.problems);
    $("command").textContent = commandLine(state);
    if (state.problems.length) {
      clearResult();
    } else {
      showDecision(decideWithCodes(state));
    }
    showCodes(state);
    var values = {};
    ["determination", "revision", "needs", "rule", "problems"].forEach(function (id) {
      values[id] = $(id).getAttribute("data-value");
    });
    announce(values);
    return values;
  }

  // One short sentence for a screen reader when the decision changes (the whole result would be
  // thousands of characters on every change): the determination, revision and rule, or the
  // fields in trouble.
  function announce(values) {
    var words = values.problems ? "Not decided: check " + values.problems.split(" ").join(", ") :
      $("determination").textContent + (values.revision ? ", revision " + values.revision : "") +
      (values.rule ? ", rule " + values.rule : "") +
      (values.needs ? ", needs " + values.needs.split(" ").join(", ") : "");
    if ($("try-announce").textContent !== words) $("try-announce").textContent = words;
  }

  // Put the case in `query` in the address and show it: what every change on the page does.
  function show(query) {
    query = withoutMark(query);
    try {
      history.replaceState(null, "", query ? "?" + query : location.pathname);
    } catch (error) { /* a browser that refuses it for file:// pages: the address stays */ }
    return display(query);
  }

  // A control changed: the current query with that one field set (or removed when unknown),
  // fields in the page's order, anything else in the query kept after them.
  function change(name, value) {
    var params = new URLSearchParams(location.search);
    var entries = [];
    params.forEach(function (v, k) { entries.push([k, v]); });
    entries = entries.filter(function (e) { return e[0] !== name; });
    if (value !== "") entries.push([name, value]);
    entries.sort(function (a, b) {
      var i = FIELDS.indexOf(a[0]), j = FIELDS.indexOf(b[0]);
      return (i < 0 ? FIELDS.length : i) - (j < 0 ? FIELDS.length : j);
    });
    var next = new URLSearchParams();
    entries.forEach(function (e) { next.append(e[0], e[1]); });
    return show(next.toString());
  }

  function today() {
    var now = new Date();
    function pad(n, width) { return String(n).padStart(width, "0"); }
    return pad(now.getFullYear(), 4) + "-" + pad(now.getMonth() + 1, 2) + "-" +
      pad(now.getDate(), 2);
  }

  $("try-form").addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "as_of") change("as_of", target.value.trim());
    else if (target.id === "as_of-revision") { if (target.value) change("as_of", target.value); }
    else if (target.type === "radio") change(target.name, target.value);
    else if (target.classList.contains("try-codes")) change(target.name, target.value.trim());
  });
  // a date is decided as soon as it is complete (YYYY-MM-DD) or cleared, never on a part typed
  // so far ("0201" is no year); anything else when the field is left (the change above)
  $("as_of").addEventListener("input", function (event) {
    var typed = event.target.value.trim();
    if (typed === "" || /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(typed)) change("as_of", typed);
  });
  $("try-form").addEventListener("submit", function (event) { event.preventDefault(); });
  $("as_of-today").addEventListener("click", function () { change("as_of", today()); });
  $("try-clear").addEventListener("click", function () {
    var params = new URLSearchParams(location.search);
    show(params.has("as_of") ? "as_of=" + encodeURIComponent(params.get("as_of")) : "");
  });

  // For tests and scripts: show (address + page), render (the page only: the same steps without
  // touching the address, which browsers throttle), change (one control), decide (no page).
  window.policyTry = { show: show, render: render, change: change, decide: decide, data: DATA };
  // opened with no case: the policy's example case (its policy.yml), decided, in the address too
  var example = $("try-form").getAttribute("data-example");
  if (location.search || !example) render(location.search);
  else show(example);
})();
