// The "Try a case" page's codes: diagnosis and procedure codes read on the date of service as
// policy/codesets/check.py reads them, and resolved by the policy's crosswalk as
// policy/codesets/resolve.py and case_codes.py resolve them. The page ships only the part of the
// code sets the crosswalk covers (policy/codesets/covered.py): a diagnosis code outside it is not
// read here (`unchecked`), never guessed. Text is compared as Python compares it: code points,
// Python's whitespace for strip(), the engine's escaper for echoed text.
// Defines window.policyTryCodes(codesData) -> {read, resolve, items, named, notApplicable}.
(function () {
  "use strict";
  var ICD9 = "ICD-9-CM", ICD10 = "ICD-10-CM", CPT = "CPT", HCPCS = "HCPCS";

  // --- text as Python sees it --------------------------------------------------------------------
  var SPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029" +
    "\\u202f\\u205f\\u3000]"; // str.isspace, not JavaScript's trim()
  var STRIP = new RegExp("^" + SPACE + "+|" + SPACE + "+$", "g");
  function strip(text) { return text.replace(STRIP, ""); }
  function points(text) { return Array.from(text); } // code points, as Python's len() counts
  // policy/core/escaping.py UNSAFE, written repr-style
  var UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;
  var SHORT = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  function escape(text) {
    return text.replace(UNSAFE, function (c) {
      if (SHORT[c]) return SHORT[c];
      var code = c.charCodeAt(0);
      return code < 0x100 ? "\\x" + code.toString(16).padStart(2, "0") :
        "\\u" + code.toString(16).padStart(4, "0");
    });
  }
  function shown(text) { // escaping.shown of a string
    var all = points(text);
    if (all.length > 120) {
      return "'" + escape(all.slice(0, 120).join("")) + "...' (" + all.length + " characters)";
    }
    return "'" + escape(text) + "'";
  }
  function ascii(text) { return /^[\x00-\x7f]*$/.test(text); }
  function digits(text) { return /^[0-9]+$/.test(text); }

  window.policyTryCodes = function (DATA) {
    var I10 = DATA[ICD10], I9 = DATA[ICD9];
    var I10_CODES = new Map(Object.entries(I10.codes));
    var I9_CODES = new Set(I9.codes), I9_SORTED = I9.codes.slice().sort();
    var MAX = DATA.max_code;

    // --- one code's form and system: check.py ----------------------------------------------------
    function normalise(text) { return strip(text).toUpperCase().replace(".", ""); }
    function dotPlace(text) {
      var stripped = strip(text), at = stripped.indexOf(".");
      return at < 0 ? null : points(stripped.slice(0, at)).length;
    }
    function fits(code, system, dot) {
      var n = points(code).length;
      if (system === ICD10) {
        return n >= 3 && n <= 7 && /^[A-Za-z][0-9][A-Za-z0-9]*$/.test(code) &&
          (dot === null || dot === 3) && (dot === null || n > 3);
      }
      if (system === ICD9) {
        if (code.slice(0, 1) === "E") {
          return n >= 4 && n <= 5 && digits(code.slice(1)) && (dot === null || dot === 4) &&
            (dot === null || n > 4);
        }
        var v = code.slice(0, 1) === "V", rest = v ? code.slice(1) : code, shortest = v ? 2 : 3;
        return rest.length >= shortest && rest.length <= shortest + 2 && digits(rest) &&
          (dot === null || dot === 3) && (dot === null || n > 3);
      }
      if (dot !== null || n !== 5 || !ascii(code) || !/^[A-Za-z0-9]+$/.test(code)) return false;
      if (system === CPT) return digits(code) || (digits(code.slice(0, 4)) &&
        "FTU".indexOf(code[4]) >= 0);
      return "ABCDEFGHIJKLMNOPQRSTUV".indexOf(code[0]) >= 0 && digits(code.slice(1));
    }
    function shownCode(code, system) {
      if (system !== ICD9 && system !== ICD10) return code;
      var at = system === ICD9 && code[0] === "E" ? 4 : 3;
      return code.length <= at ? code : code.slice(0, at) + "." + code.slice(at);
    }
    function spansText(spans) {
      return spans.map(function (s) {
        return s[0] !== "0001-01-01" ? s[0] + " to " + s[1] : "until " + s[1];
      }).join(", ");
    }

    // --- the crosswalk: which codes are covered, and what covers them (crosswalk.py) ------------
    var ENTRIES = DATA.entries.map(function (e) {
      return { kind: e[0], field: e[1], value: e[2], system: e[3], items: e[4],
        validFrom: e[5], validTo: e[6] };
    });
    function itemCovers(item, code) {
      return item[2] ? item[0] <= code.slice(0, 3) && code.slice(0, 3) <= item[1] :
        code.indexOf(item[0]) === 0;
    }
    function entryCovers(entry, system, code) {
      return entry.system === system && entry.items.some(function (i) {
        return itemCovers(i, code);
      });
    }
    function covered(system, code) {
      return ENTRIES.some(function (e) { return entryCovers(e, system, code); });
    }

    // --- the code sets, for covered codes (covered.py) -------------------------------------------
    function status10(code, day) {
      var found = I10_CODES.get(code);
      var at = found ? found[0] : I10.unknown[code[0]], below = found ? found[1] : null;
      var period = 0;
      I10.periods.forEach(function (first, i) { if (first <= day) period = i; });
      var step = I10.patterns[at][period], reading = I10.readings[step[1]];
      var billable = (step[0] & 1) !== 0, exists = (step[0] & 2) !== 0;
      return { billable: billable, exists: exists, known: (step[0] & 4) !== 0,
        release: reading[0], exact: reading[1], basis: reading[2],
        below: exists && !billable ? below : null, spans: found ? I10.spans[found[2]] : [] };
    }
    function next9(code) { // the first code after `code` in version 32's order, or null
      var low = 0, high = I9_SORTED.length;
      while (low < high) {
        var mid = (low + high) >> 1;
        if (code < I9_SORTED[mid]) high = mid; else low = mid + 1;
      }
      return low < I9_SORTED.length ? I9_SORTED[low] : null;
    }
    function status9(code) {
      var billable = I9_CODES.has(code), after = next9(code);
      var below = !billable && after !== null && after.indexOf(code) === 0 ? after : null;
      var exists = billable || below !== null;
      return { billable: billable, exists: exists, known: exists, release: I9.release,
        exact: false, basis: I9.basis, below: below, spans: billable ? I9.billable_spans : [] };
    }
    function exists9(code) {
      var after = next9(code);
      return I9_CODES.has(code) || (after !== null && after.indexOf(code) === 0);
    }

    // --- reading one code (check.read_code) -------------------------------------------------------
    function reading(code, given, field, system, day, valid, problem, why, release, exact, basis) {
      return { code: code, given: given, field: field, system: system, day: day, valid: valid,
        problem: problem, why: why, release: release, exact: exact, basis: basis, names: null };
    }
    function malformed(given, field, day) {
      var why = shown(given) + " is not a " + field + " code (on " + day + "): " +
        DATA.forms[field] + (strip(given) === "" ? DATA.empty_hint : "");
      return reading(points(strip(given)).slice(0, MAX).join(""), given, field, null, day, false,
        "CODE_MALFORMED", why, null, false, "");
    }
    function notValid(code, given, field, system, found, day) {
      var as = shownCode(code, system), where = "in " + system + " (" + found.basis + ")", why;
      if (found.exists && found.below !== null) {
        why = as + " is not billable on " + day + ": a header " + where +
          "; report a code below it, such as " + shownCode(found.below, system);
      } else {
        why = as + " is not a code on " + day + " " + where;
      }
      if (found.spans.length) {
        why += "; in the releases shipped, " + as + " is billable " + spansText(found.spans);
      }
      return reading(as, given, field, system, day, false, "CODE_NOT_VALID_ON_DATE", why,
        found.release, found.exact, found.basis);
    }
    // The reading of one code of `field` on `day`, or {unchecked: true, given, field} when the
    // code sets would be asked about a code the page does not ship.
    function read(given, field, day) {
      var unchecked = { unchecked: true, given: given, field: field, day: day };
      if (!strip(given) || points(given).length > MAX) return malformed(given, field, day);
      var code = normalise(given), dot = dotPlace(given);
      if (field === "procedure") {
        var systems = [CPT, HCPCS];
        for (var i = 0; i < systems.length; i++) {
          if (fits(code, systems[i], dot)) {
            return reading(code, given, field, systems[i], day, true, null, null, null, false,
              DATA.procedure_basis);
          }
        }
        return malformed(given, field, day);
      }
      var expected = day >= DATA.icd10_from ? ICD10 : ICD9;
      var other = expected === ICD10 ? ICD9 : ICD10, found = null;
      var fitsExpected = fits(code, expected, dot), fitsOther = fits(code, other, dot);
      if (fitsExpected) {
        if (!covered(expected, code)) return unchecked;
        found = expected === ICD10 ? status10(code, day) : status9(code);
        if (found.billable) {
          return reading(shownCode(code, expected), given, field, expected, day, true, null,
            null, found.release, found.exact, found.basis);
        }
        if (found.exists || found.known) return notValid(code, given, field, expected, found, day);
      }
      if (fitsOther) {
        if (!covered(other, code)) return unchecked;
        if (other === ICD9 ? exists9(code) : status10(code, I10.last_day).known) {
          var as = shownCode(code, other);
          return reading(as, given, field, other, day, false, "CODE_WRONG_SYSTEM",
            as + " is an " + other + " code, but diagnosis codes on " + day + " are " +
            expected + " (" + ICD10 + " from " + DATA.icd10_from + " on, " + ICD9 + " before)",
            null, false, "");
        }
      }
      if (!fitsExpected && !fitsOther) return malformed(given, field, day);
      var basis = found !== null ? found.basis : "";
      var why = shown(given) + " is not a code of " + expected +
        ", the diagnosis code system on " + day + (basis ? " (checked against " + basis + ")" :
        "") + ", nor of " + other;
      return reading(strip(given), given, field, expected, day, false, "CODE_UNKNOWN", why,
        found !== null ? found.release : null, !!(found !== null && found.exact), basis);
    }

    // --- what the codes decide (resolve.resolve_codes) --------------------------------------------
    // `readings`: every code read (none unchecked); `caseValue`: the value the case gives the
    // crosswalk's field (null: none). Problems are [field, code, message], placed as
    // case_codes._located places them.
    function resolve(readings, caseValue) {
      var problems = [], resolved = [], named = new Map(), governed = [], procedures = 0;
      var field = DATA.has_crosswalk ? DATA.field : null;
      readings.forEach(function (r) {
        if (!r.valid) problems.push([r.field, r.problem || "CODE_UNKNOWN", r.why || ""]);
      });
      readings.forEach(function (r) {
        if (!r.valid || !DATA.has_crosswalk) { resolved.push(r); return; }
        var key = normalise(r.code);
        var covering = ENTRIES.filter(function (e) { return entryCovers(e, r.system, key); });
        var applying = covering.filter(function (e) {
          return e.validFrom <= r.day && r.day <= e.validTo;
        });
        if (r.field === "diagnosis") {
          var naming = applying.filter(function (e) { return e.kind === "names"; });
          var names = null;
          if (naming.length && naming[0].field !== null) {
            names = Object.create(null);
            names[naming[0].field] = naming[0].value;
            if (!named.has(naming[0].value)) named.set(naming[0].value, []);
            named.get(naming[0].value).push(r.code);
          }
          resolved.push(Object.assign({}, r, { names: names }));
          return;
        }
        procedures += 1;
        if (covering.length && !applying.length) {
          var why = r.code + " is not a code on " + r.day + ": the policy's crosswalk dates it " +
            covering.map(function (e) { return e.validFrom + " to " + e.validTo; }).join(", ");
          r = Object.assign({}, r, { valid: false, problem: "CODE_NOT_VALID_ON_DATE", why: why });
          problems.push(["procedure", "CODE_NOT_VALID_ON_DATE", why]);
        } else if (applying.some(function (e) { return e.kind === "governed"; })) {
          governed.push(r.code);
        }
        resolved.push(r);
      });
      var values = Array.from(named.keys());
      var naming = values.length === 1 ? "one" : values.length ? "several" : "none";
      if (caseValue !== null && values.length && values.indexOf(caseValue) < 0) {
        problems.push([field, "CODE_CONTRADICTS_CASE", "the case gives " + field + "=" +
          shown(String(caseValue)).slice(1, -1) + ", but its diagnosis codes say otherwise: " +
          said(named, field)]);
      }
      return { readings: resolved, field: field, named: named, naming: naming,
        value: naming === "one" ? values[0] : caseValue, governed: governed,
        notApplicable: !DATA.has_crosswalk || procedures === 0 ? null : governed.length === 0,
        problems: problems };
    }
    function said(named, field) {
      var parts = [];
      named.forEach(function (codes, value) {
        parts.push(codes.join(", ") + " name" + (codes.length === 1 ? "s" : "") + " " + field +
          "=" + value);
      });
      return parts.join("; ");
    }

    // --- the decision's `codes` and the sentence the explanation adds (case_codes.py) -----------
    function items(resolution) {
      var governed = new Set(resolution.governed);
      return resolution.readings.map(function (r) {
        return { code: r.code, field: r.field, system: r.system, valid: r.valid, names: r.names,
          why: r.why, release: r.release, exact: r.exact, basis: r.basis,
          governed: r.field === "procedure" && DATA.has_crosswalk ? governed.has(r.code) : null,
          crosswalk: DATA.has_crosswalk && r.valid ? DATA.project_reading : null };
      });
    }
    function whatNamed(resolution) {
      var diagnoses = resolution.readings.filter(function (r) { return r.field === "diagnosis"; });
      if (!diagnoses.length || resolution.field === null) return "";
      var field = resolution.field;
      var silent = diagnoses.filter(function (r) { return r.names === null; }).map(function (r) {
        return r.code;
      });
      var quiet = silent.length ? "; " + silent.join(", ") + " name" +
        (silent.length === 1 ? "s" : "") + " nothing" : "";
      if (resolution.naming === "none") {
        return "No diagnosis code names a " + field + " (" + silent.join(", ") +
          "), so it is left unknown.";
      }
      if (resolution.naming === "one") {
        return "The diagnosis codes give " + field + " (by the policy's crosswalk of codes, " +
          "the project's reading): " + said(resolution.named, field) + quiet + ".";
      }
      return "The diagnosis codes name different values of " + field + " (" +
        said(resolution.named, field) + quiet + "), so they do not set it.";
    }
    // CompiledPolicy.not_applicable: `decision` (a revision in force) made not_applicable.
    function notApplicable(decision, procedures) {
      var r = decision.revision;
      var head = "Revision " + r.id + " (version " + r.version + ", effective " +
        r.effective_from + ", " + r.effective_from_basis + ")";
      var several = procedures.length > 1;
      return Object.assign(decision, { determination: DATA.not_applicable, rule: null, rules: [],
        needs: [], possible: [], source: null, provenance: null, provenance_note: null,
        evidence: null, evidence_scope: null,
        explanation: procedures.length ? head + " does not apply: the procedure code" +
          (several ? "s" : "") + " " + procedures.join(", ") + " name" + (several ? "" : "s") +
          " no service this policy governs (by its crosswalk of codes, the project's reading)." :
          head + " does not apply: the procedure codes name no service this policy governs." });
    }
    // The codes of a field as the command line splits them (cases.code_texts).
    function split(text) { return text.split(",").map(strip); }

    return { read: read, resolve: resolve, items: items, whatNamed: whatNamed, escape: escape,
      notApplicable: notApplicable, split: split };
  };
})();
