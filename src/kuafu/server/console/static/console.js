// Kuafu console: a little progressive enhancement on server-rendered pages.
// Everything works without it; with it, tables refresh live, the composer checks as
// you type, chips show details on hover, and tables sort. No inline script anywhere,
// so a strict Content-Security-Policy (default-src 'self') holds.
"use strict";

(function () {
  const csrf = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  // ----- live regions: [data-live=url] is replaced by the page's fragment -------------
  function startLive(region) {
    const url = region.dataset.live;
    const every = Number(region.dataset.interval || 3000);
    let busy = false;
    const timer = setInterval(async () => {
      if (busy || document.hidden || region.contains(document.activeElement)) return;
      busy = true;
      try {
        const answer = await fetch(url, {
          headers: { "X-Requested-With": "kuafu-live" }, credentials: "same-origin",
        });
        if (answer.status === 401) { clearInterval(timer); return; }
        if (answer.ok) {
          region.innerHTML = await answer.text();
          enhance(region);
          if (region.querySelector("[data-final]")) clearInterval(timer);
        }
      } catch (e) {
        // the server may be restarting: try again at the next tick
      } finally {
        busy = false;
      }
    }, every);
  }

  // ----- sortable tables -----------------------------------------------------------------
  function sortable(table) {
    table.querySelectorAll("thead button[data-sort]").forEach((button, column) => {
      button.addEventListener("click", () => {
        const body = table.tBodies[0];
        const numeric = button.dataset.sort === "number";
        const ascending = button.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach((th) => th.removeAttribute("aria-sort"));
        table.querySelectorAll("thead button").forEach((b) => b.removeAttribute("aria-sort"));
        button.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        button.closest("th").setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const key = (row) => {
          const cell = row.children[column];
          const value = cell.dataset.value ?? cell.textContent;
          return numeric ? Number(value) : value;
        };
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const order = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? order : -order;
        });
        rows.forEach((row) => body.appendChild(row));
      });
    });
  }

  // ----- chip details on hover or focus ---------------------------------------------
  function chipDetails(svg) {
    const panel = document.getElementById("chip-detail");
    if (!panel) return;
    const show = (el) => {
      const d = el.dataset;
      const lines = d.kind === "qubit"
        ? [["Qubit", d.name], ["T1", d.t1 + " µs"], ["T2", d.t2 + " µs"],
           ["1q gate fidelity", (100 * Number(d.f1q)).toFixed(3) + " %"],
           ["Readout fidelity", (100 * Number(d.ro)).toFixed(2) + " %"]]
        : [["Coupler", d.name], ["CZ fidelity", (100 * Number(d.f2q)).toFixed(2) + " %"]];
      const list = document.createElement("dl");
      for (const [term, value] of lines) {
        const dt = document.createElement("dt");
        dt.textContent = term;
        const dd = document.createElement("dd");
        dd.textContent = value;
        list.append(dt, dd);
      }
      panel.replaceChildren(list);
    };
    svg.querySelectorAll("[data-kind]").forEach((el) => {
      el.addEventListener("mouseenter", () => show(el));
      el.addEventListener("focus", () => show(el));
    });
  }

  // ----- composer: check as you type --------------------------------------------------
  function composer(textarea) {
    const status = document.getElementById("qasm-status");
    const gutter = document.getElementById("gutter");
    const circuit = document.getElementById("circuit");
    const backend = document.getElementById("backend");
    const compile = document.getElementById("compile");
    let timer = null;
    let sequence = 0;

    const drawGutter = (bad) => {
      const count = textarea.value.split("\n").length;
      const spans = [];
      for (let i = 1; i <= count; i++) {
        const span = document.createElement("span");
        span.textContent = String(i);
        if (i === bad) {
          span.className = "bad";
          span.title = "error on this line";
        }
        spans.push(span, document.createTextNode("\n"));
      }
      gutter.replaceChildren(...spans);
      gutter.scrollTop = textarea.scrollTop;
    };

    const check = async () => {
      const mine = ++sequence;
      let answer;
      try {
        const response = await fetch(textarea.dataset.check, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
          body: JSON.stringify({ qasm: textarea.value, backend: backend.value,
                                 compile: compile.checked }),
        });
        if (!response.ok) return;
        answer = await response.json();
      } catch (e) {
        return;
      }
      if (mine !== sequence) return; // a newer check is on its way
      if (answer.ok) {
        status.className = "ok";
        status.textContent = "✓ " + answer.message;
        status.removeAttribute("data-line");
        circuit.innerHTML = answer.svg;
        drawGutter(null);
      } else {
        status.className = "error";
        const where = answer.line
          ? "Line " + answer.line + (answer.column ? ", column " + answer.column : "") + ": "
          : "";
        status.textContent = where + answer.message;
        if (answer.line) status.dataset.line = answer.line;
        else status.removeAttribute("data-line");
        drawGutter(answer.line);
      }
    };
    const later = () => {
      clearTimeout(timer);
      drawGutter(Number(status.dataset.line) || null);
      timer = setTimeout(check, 250);
    };
    textarea.addEventListener("input", later);
    textarea.addEventListener("scroll", () => { gutter.scrollTop = textarea.scrollTop; });
    const note = document.getElementById("backend-note");
    const showNote = () => {
      const chosen = backend.selectedOptions[0];
      const text = chosen ? chosen.dataset.note || "" : "";
      note.textContent = text;
      note.hidden = !text;
    };
    backend.addEventListener("change", later);
    if (note) backend.addEventListener("change", showNote);
    compile.addEventListener("change", later);
    drawGutter(Number(status.dataset.line) || null);
  }

  function enhance(root) {
    root.querySelectorAll("table.sortable").forEach(sortable);
    root.querySelectorAll("svg.chip").forEach(chipDetails);
  }

  // ----- confirmation before a form that cannot be undone (cancel, revoke) -----------
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm
        && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    enhance(document);
    document.querySelectorAll("[data-live]:not([data-stopped])").forEach(startLive);
    const qasm = document.getElementById("qasm");
    if (qasm && qasm.dataset.check) composer(qasm);
  });
})();
