// The contest's pages: the console, the projector and a team's page. The state lives on the server;
// this script polls /api/state and draws it. Every text goes in with textContent, never as HTML.
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("lz-boot").textContent);
  var S = boot.strings;
  var app = document.getElementById("lz-app");
  var state = null;
  var drawnKey = "";
  var fetchedAt = 0;
  var error = "";

  function t(key, values) {
    var text = S[key] || key;
    if (values) {
      Object.keys(values).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    }
    return text;
  }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (name === "text") { node.textContent = value; }
      else if (name === "onclick") { node.addEventListener("click", value); }
      else if (name === "disabled") { node.disabled = !!value; }
      else { node.setAttribute(name, value); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) { continue; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function teamName(number) {
    var found = (state.teams || []).filter(function (team) { return team.team === number; })[0];
    return found ? found.name : "";
  }

  function query() {
    var q = "view=" + boot.page;
    if (boot.key) { q += "&key=" + encodeURIComponent(boot.key); }
    if (boot.team) { q += "&team=" + boot.team; }
    return q;
  }

  function post(path, body) {
    body.key = boot.key;
    if (boot.page === "team") { body.team = boot.team; }
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (response) { return response.json(); })
      .then(function (result) { error = result.error || ""; poll(); return result; })
      .catch(function () { error = t("contest.offline"); draw(); });
  }

  function act(action, args) { return post("/api/act", { action: action, args: args || {} }); }

  function remaining() {
    if (!state || state.remaining_ms === null || state.remaining_ms === undefined) { return null; }
    return Math.max(0, state.remaining_ms - (performance.now() - fetchedAt));
  }

  function countdown() {
    var left = remaining();
    if (left === null) { return null; }
    var node = el("div", { "class": "lz-countdown", "data-lz": "countdown" });
    node.textContent = left > 0 ? t("contest.seconds", { seconds: Math.ceil(left / 1000) }) : t("contest.time_up");
    return node;
  }

  function tick() {
    var node = app.querySelector("[data-lz=countdown]");
    var left = remaining();
    if (node && left !== null) {
      node.textContent = left > 0 ? t("contest.seconds", { seconds: Math.ceil(left / 1000) }) : t("contest.time_up");
    }
  }

  function poll() {
    fetch("/api/state?" + query(), { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.error) { error = data.error; draw(); return; }
        fetchedAt = performance.now();
        state = data;
        if (stateKey() !== drawnKey) { draw(); }
      })
      .catch(function () { error = t("contest.offline"); draw(); });
  }

  function stateKey() {
    return JSON.stringify([state.version, state.phase, state.number, error, state.remaining_ms === 0]);
  }

  function roundLabel() { return state.round ? t("contest.round." + state.round) : ""; }

  function roundRule() {
    var points = boot.points || {};
    return t("contest.rule." + state.round, {
      points: state.round === "buzzer" ? points.buzzer : points.required,
      wrong: points.buzzer_wrong,
      stakes: (state.stakes || []).join("/")
    });
  }

  function heading() {
    return el("div", {},
      el("p", { "class": "lz-round", text: roundLabel() + S["punct.colon"] + t("contest.question", { number: state.number, total: state.total }) }),
      state.floor ? el("p", { "data-lz": "floor", text: t("contest.to_answer", { team: teamName(state.floor) }) }) : null,
      state.stake ? el("p", { "data-lz": "stake", text: t("contest.stake", { points: state.stake }) }) : null
    );
  }

  function questionBlock() {
    var q = state.question;
    if (!q) { return null; }
    var list = el("ul", { "class": "lz-options" });
    (q.options || []).forEach(function (option) { list.appendChild(el("li", { text: option[0] + ". " + option[1] })); });
    return el("div", { "data-lz": "question" }, el("p", { "class": "lz-stem", text: q.stem }), list);
  }

  function resultBlock() {
    var r = state.result;
    if (!r) { return null; }
    var text;
    if (r.team === null) { text = t("contest.nobody"); }
    else {
      text = teamName(r.team) + S["punct.colon"] + (r.correct ? t("contest.right") : t("contest.wrong")) + " " + t("contest.points", { points: (r.points > 0 ? "+" : "") + r.points });
    }
    return el("p", { "data-lz": "result", "class": r.correct ? "lz-right" : "lz-wrong" }, text,
      r.given !== null ? " (" + t("contest.given", { answer: r.given }) + ")" : null);
  }

  function keyBlock(note) {
    var k = state.key;
    if (!k) { return null; }
    return el("div", { "class": "lz-key", "data-lz": "key" },
      note ? el("p", { "class": "lz-muted", text: t("contest.key_console") }) : null,
      el("p", {}, el("strong", { text: t("contest.answer") + S["punct.colon"] }), k.answer),
      k.rule ? el("p", {}, el("strong", { text: t("contest.rule") + S["punct.colon"] }), k.rule) : null,
      k.explanation ? el("p", {}, el("strong", { text: t("contest.explanation") + S["punct.colon"] }), k.explanation) : null
    );
  }

  function scoreboard(compact) {
    var rounds = compact ? [] : ["required", "buzzer", "risk"];  // the projector's: place, team, total
    var table = el("table", { "data-lz": "scoreboard" });
    var head = el("tr", {}, el("th", { text: t("contest.place") }), el("th", { text: t("contest.team") }));
    rounds.forEach(function (name) { head.appendChild(el("th", { "class": "lz-num", text: t("contest.round." + name) })); });
    head.appendChild(el("th", { "class": "lz-num", text: t("contest.total") }));
    table.appendChild(head);
    (state.scoreboard || []).forEach(function (line) {
      var row = el("tr", { "data-team": String(line.team) }, el("td", { text: String(line.place) }), el("td", { text: line.name }));
      rounds.forEach(function (name) { row.appendChild(el("td", { "class": "lz-num", text: String(line.by_round[name]) })); });
      row.appendChild(el("td", { "class": "lz-num", "data-lz": "total", text: String(line.total) }));
      table.appendChild(row);
    });
    return el("div", { "class": "lz-panel" }, el("h2", { text: t("contest.scoreboard") }), table);
  }

  function presses(full) {
    var list = state.presses || [];
    if (!list.length) { return null; }
    if (!full) {
      return el("p", { "class": "lz-first", "data-lz": "first", text: t("contest.first", { team: teamName(list[0].team) }) });
    }
    var table = el("table", { "data-lz": "presses" },
      el("tr", {}, el("th", { text: t("contest.rank") }), el("th", { text: t("contest.team") }),
        el("th", { text: t("contest.arrived") }), el("th", { "class": "lz-num", text: t("contest.after") })));
    list.forEach(function (press) {
      table.appendChild(el("tr", {}, el("td", { text: String(press.rank) }), el("td", { text: teamName(press.team) }),
        el("td", { text: press.at }), el("td", { "class": "lz-num", text: t("contest.ms", { ms: press.after_ms }) })));
    });
    return el("div", {}, el("h3", { text: t("contest.presses") }), table);
  }

  function errorLine() { return el("p", { "class": "lz-error", role: "alert", "data-lz": "error", text: error }); }

  // --- the console ------------------------------------------------------------------------------
  var setupForm = null;

  function buildSetup() {
    var plan = boot.plan || {};
    var names = el("textarea", { rows: "4", cols: "30", "data-lz": "teams" });
    var fields = {};
    var box = el("div", { "class": "lz-panel" }, el("h2", { text: t("contest.setup") }),
      el("label", {}, t("contest.team_names"), el("br"), names));
    ["required", "buzzer", "risk"].forEach(function (name) {
      fields[name] = el("input", { type: "number", min: "0", max: "200", value: String(plan[name]), "data-lz": "plan-" + name });
      box.appendChild(el("label", {}, t("contest.plan." + name) + " ", fields[name]));
    });
    var seed = el("input", { type: "number", min: "0", value: String(boot.seed), "data-lz": "seed" });
    box.appendChild(el("label", {}, t("contest.seed") + " ", seed));
    box.appendChild(el("button", { "class": "lz-primary", "data-lz": "draw", text: t("contest.draw"), onclick: function () {
      var underway = state && state.phase !== "setup" && state.phase !== "finished";
      if (underway && !window.confirm(t("contest.setup_confirm"))) { return; }
      var body = { teams: names.value.split("\n"), plan: {}, seed: parseInt(seed.value, 10) };
      ["required", "buzzer", "risk"].forEach(function (name) { body.plan[name] = parseInt(fields[name].value, 10); });
      post("/api/setup", body);
    } }));
    return box;
  }

  function consoleView() {
    if (!setupForm) { setupForm = buildSetup(); }
    var live = el("div", {}, el("h1", { text: t("contest.page.console") }));
    live.appendChild(errorLine());
    if (state.phase === "setup") {
      live.appendChild(el("p", { text: t("contest.no_contest") }));
      return [live, setupForm];
    }
    var links = el("ul", { "data-lz": "links" });
    links.appendChild(el("li", {}, t("contest.projector_link") + S["punct.colon"], el("a", { href: "/projector", target: "_blank", text: location.origin + "/projector" })));
    (state.team_links || []).forEach(function (link, index) {
      links.appendChild(el("li", {}, teamName(index + 1) + S["punct.colon"], el("a", { href: link, target: "_blank", "data-team-link": String(index + 1), text: location.origin + link })));
    });
    live.appendChild(el("div", { "class": "lz-panel" }, el("h2", { text: t("contest.links") }), links));
    if (state.phase === "finished") {
      live.appendChild(el("h2", { text: t("contest.finished") }));
      live.appendChild(scoreboard());
      return [live, setupForm];
    }
    var panel = el("div", { "class": "lz-panel" }, countdown(), heading(), questionBlock(), keyBlock(true), resultBlock());
    var controls = el("div", { "data-lz": "controls" });
    var round = state.round;
    if (state.phase === "between") {
      if (round === "risk") {
        (state.stakes || []).forEach(function (stake) {
          controls.appendChild(el("button", { "data-lz": "stake-" + stake, text: t("contest.points", { points: stake }), onclick: function () { act("stake", { stake: stake }); } }));
        });
      }
      controls.appendChild(el("button", { "class": "lz-primary", "data-lz": "show", text: t("contest.show"), onclick: function () { act("show"); } }));
    }
    if (state.phase === "open" || state.phase === "answering") {
      var floor = state.floor !== null && state.floor !== undefined;
      controls.appendChild(el("button", { "data-lz": "right", disabled: !floor, text: t("contest.mark_right"), onclick: function () { act("judge", { correct: true }); } }));
      controls.appendChild(el("button", { "data-lz": "wrong", disabled: !floor, text: t("contest.mark_wrong"), onclick: function () { act("judge", { correct: false }); } }));
      controls.appendChild(el("button", { "data-lz": "reveal", text: t("contest.reveal"), onclick: function () { act("reveal"); } }));
    }
    if (state.phase === "revealed") {
      controls.appendChild(el("button", { "class": "lz-primary", "data-lz": "next", text: t("contest.next"), onclick: function () { act("next"); } }));
    }
    controls.appendChild(el("button", { "data-lz": "finish", text: t("contest.finish"), onclick: function () {
      if (window.confirm(t("contest.finish_confirm"))) { act("finish"); }
    } }));
    panel.appendChild(controls);
    var pressList = presses(true);
    if (pressList) { panel.appendChild(pressList); }
    live.appendChild(panel);
    live.appendChild(scoreboard());
    return [live, setupForm];
  }

  // --- the projector ----------------------------------------------------------------------------
  function projectorView() {
    var parts = [el("h1", { text: state.title })];
    if (state.phase === "setup") { parts.push(el("p", { "class": "lz-stem", text: t("contest.no_contest") })); return parts; }
    if (state.phase === "finished") { parts.push(el("h2", { "class": "lz-round", text: t("contest.finished") }), scoreboard(false)); return parts; }
    parts.push(countdown(), heading());
    if (state.phase === "between") {
      parts.push(el("p", { "class": "lz-stem", text: roundRule() }));
      if (state.round === "risk" && !state.stake) { parts.push(el("p", { text: t("contest.waiting_stake", { team: teamName(state.assigned) }) })); }
    }
    parts.push(presses(false), resultBlock());
    if (state.phase === "revealed") { parts.push(keyBlock(false)); }
    parts.push(questionBlock());
    // two columns: the stage (question, first press, answer) and the scoreboard beside it
    var stage = el("div", { "class": "lz-stage" });
    parts.filter(function (part) { return part; }).forEach(function (part) { stage.appendChild(part); });
    return [stage, el("aside", { "class": "lz-side" }, scoreboard(true))];
  }

  // --- a team's page ----------------------------------------------------------------------------
  function teamView() {
    var me = boot.team;
    var mine = (state.scoreboard || []).filter(function (line) { return line.team === me; })[0];
    var parts = [el("h1", { "data-lz": "me", text: teamName(me) }),
      mine ? el("p", { "data-lz": "my-total", text: t("contest.total") + S["punct.colon"] + mine.total }) : null, errorLine()];
    if (state.phase === "setup") { parts.push(el("p", { text: t("contest.wait") })); return parts; }
    if (state.phase === "finished") { parts.push(el("h2", { text: t("contest.finished") }), scoreboard()); return parts; }
    parts.push(countdown(), heading());
    if (state.can_stake) {
      var stakes = el("div", { "data-lz": "stakes" }, el("p", { text: t("contest.choose_stake") }));
      (state.stakes || []).forEach(function (stake) {
        stakes.appendChild(el("button", { "data-lz": "stake-" + stake, text: t("contest.points", { points: stake }), onclick: function () { act("stake", { stake: stake }); } }));
      });
      parts.push(stakes);
    }
    if (state.round === "buzzer" && (state.phase === "open" || state.phase === "answering")) {
      parts.push(el("button", { "class": "lz-buzz", "data-lz": "buzz", disabled: !state.can_buzz, text: t("contest.buzz"), onclick: function () { act("buzz"); } }));
    }
    var myPress = (state.presses || []).filter(function (press) { return press.team === me; })[0];
    if (myPress) { parts.push(el("p", { "data-lz": "my-press", text: t("contest.buzzed", { rank: myPress.rank }) })); }
    if (!state.can_answer) { parts.push(questionBlock()); }  // the answer buttons show the options
    else { parts.push(el("p", { "class": "lz-stem", text: state.question.stem })); }
    if (state.can_answer) {
      parts.push(el("p", { "class": "lz-right", text: t("contest.your_turn") }));
      parts.push(answerButtons());
    } else if (state.phase === "between" && !state.can_stake) {
      parts.push(el("p", { "class": "lz-muted", text: t("contest.wait") }));
    }
    parts.push(resultBlock());
    if (state.phase === "revealed") { parts.push(keyBlock(false)); }
    parts.push(scoreboard());
    return parts;
  }

  function answerButtons() {
    var q = state.question;
    var box = el("div", { "class": "lz-answer", "data-lz": "answer" });
    if (q.type === "true-false") {
      [true, false].forEach(function (value) {
        box.appendChild(el("button", { "data-lz": "answer-" + value, text: value ? S["quiz.true"] : S["quiz.false"], onclick: function () { act("answer", { given: value }); } }));
      });
      return box;
    }
    if (q.type === "multiple") {
      var chosen = {};
      q.options.forEach(function (option) {
        var box2 = el("input", { type: "checkbox", "data-lz": "option-" + option[0] });
        box2.addEventListener("change", function () { chosen[option[0]] = box2.checked; });
        box.appendChild(el("label", {}, box2, " " + option[0] + ". " + option[1]));
      });
      box.appendChild(el("button", { "class": "lz-primary", "data-lz": "submit", text: t("contest.submit"), onclick: function () {
        act("answer", { given: Object.keys(chosen).filter(function (letter) { return chosen[letter]; }).sort() });
      } }));
      return box;
    }
    q.options.forEach(function (option) {
      box.appendChild(el("button", { "data-lz": "answer-" + option[0], text: option[0] + ". " + option[1], onclick: function () { act("answer", { given: option[0] }); } }));
    });
    return box;
  }

  function draw() {
    if (boot.page === "denied") {
      app.replaceChildren(el("h1", { text: t("contest.page.denied") }), el("p", { text: t("contest.denied") }));
      return;
    }
    if (!state) { app.replaceChildren(errorLine()); return; }
    drawnKey = stateKey();
    var views = { console: consoleView, projector: projectorView, team: teamView };
    var parts = views[boot.page]().filter(function (part) { return part; });
    app.replaceChildren.apply(app, parts);
  }

  if (boot.page === "denied") { draw(); return; }
  poll();
  setInterval(poll, boot.poll_ms);
  setInterval(tick, 200);
})();
