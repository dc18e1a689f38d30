/*
 * Widget demos on the static site (see book/demo_widgets.py). The book build ran each
 * demo's draw function for every setting of its site grid and stored, with the page, what
 * it drew: figures as drawing instructions read from matplotlib (book/demo_figures.py)
 * and printed text. This script gives each demo its controls and draws the output of the
 * chosen setting as SVG.
 */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var clipCount = 0;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== undefined && attrs[k] !== null) {
        node.setAttribute(k, attrs[k]);
      }
    });
    if (parent) {
      parent.appendChild(node);
    }
    return node;
  }

  function rgba(c) {
    if (!c) {
      return "none";
    }
    return "rgba(" + Math.round(c[0] * 255) + "," + Math.round(c[1] * 255) + "," +
      Math.round(c[2] * 255) + "," + c[3] + ")";
  }

  function runsText(runs) {
    return (runs || []).map(function (r) { return r[0]; }).join("");
  }

  function textWidth(runs, size) {
    var w = 0;
    (runs || []).forEach(function (r) {
      var small = r[1].indexOf("^") >= 0 || r[1].indexOf("_") >= 0;
      w += r[0].length * size * (small ? 0.42 : 0.58);
    });
    return w;
  }

  function splitLines(runs) {
    var lines = [[]];
    (runs || []).forEach(function (r) {
      var parts = r[0].split("\n");
      parts.forEach(function (p, k) {
        if (k > 0) {
          lines.push([]);
        }
        if (p) {
          lines[lines.length - 1].push([p, r[1]]);
        }
      });
    });
    return lines;
  }

  /* One line of text from runs; style letters: b bold, i italic, ^ sup, _ sub. */
  function addText(parent, runs, x, y, opts) {
    var t = el("text", {
      x: x, y: y, "font-size": opts.size, fill: rgba(opts.color || [0, 0, 0, 1]),
      "text-anchor": opts.anchor || "start",
      "dominant-baseline": opts.baseline || "alphabetic",
      "font-weight": opts.weight === "bold" ? "bold" : null,
      transform: opts.rotate ? "rotate(" + opts.rotate + " " + x + " " + y + ")" : null,
      class: opts.cls || null,
    }, parent);
    runs.forEach(function (r) {
      var span = el("tspan", {}, t);
      span.textContent = r[0];
      if (r[1].indexOf("b") >= 0) {
        span.setAttribute("font-weight", "bold");
      }
      if (r[1].indexOf("i") >= 0) {
        span.setAttribute("font-style", "italic");
      }
      if (r[1].indexOf("^") >= 0) {
        span.setAttribute("baseline-shift", "super");
        span.setAttribute("font-size", opts.size * 0.7);
      } else if (r[1].indexOf("_") >= 0) {
        span.setAttribute("baseline-shift", "sub");
        span.setAttribute("font-size", opts.size * 0.7);
      }
    });
    return t;
  }

  function addLines(parent, runs, x, y, opts) {
    var lines = splitLines(runs);
    var step = opts.size * 1.2;
    var y0 = y;
    if (opts.block === "bottom") {
      y0 = y - (lines.length - 1) * step;
    } else if (opts.block === "middle") {
      y0 = y - (lines.length - 1) * step / 2;
    }
    // One group per title, so that its lines can be read back as one string.
    var group = el("g", { class: opts.cls || null }, parent);
    var lineOpts = Object.assign({}, opts, { cls: null });
    lines.forEach(function (line, k) {
      addText(group, line, x, y0 + k * step, lineOpts);
    });
    return lines.length;
  }

  function dash(ls, lw) {
    var base = { "--": [3.7, 1.6], ":": [1, 1.65], "-.": [6.4, 1.6, 1, 1.6] }[ls];
    return base ? base.map(function (v) { return (v * lw).toFixed(2); }).join(",") : null;
  }

  function scale(kind, lim, a, b) {
    var log = kind === "log";
    var f = log ? function (v) { return Math.log10(v); } : function (v) { return v; };
    var lo = f(lim[0]);
    var hi = f(lim[1]);
    return function (v) {
      if (v === null || (log && v <= 0)) {
        return null;
      }
      return a + (f(v) - lo) / (hi - lo) * (b - a);
    };
  }

  function marker(parent, kind, x, y, ms, fc, ec) {
    var r = ms / 2;
    if (kind === ".") {
      r = ms / 4;
    }
    if (kind === "s" || kind === "D") {
      el("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r, fill: rgba(fc),
                   stroke: rgba(ec), "stroke-width": 0.5,
                   transform: kind === "D" ? "rotate(45 " + x + " " + y + ")" : null }, parent);
    } else {
      el("circle", { cx: x, cy: y, r: r, fill: rgba(fc), stroke: rgba(ec),
                     "stroke-width": 0.5 }, parent);
    }
  }

  function legendSize(leg) {
    var size = leg.size;
    var widths = leg.entries.map(function (e) { return textWidth(e.runs, size) + size * 2.6; });
    var ncol = Math.max(1, leg.ncol || 1);
    var rows = Math.ceil(leg.entries.length / ncol);
    var colW = Math.max.apply(null, widths.concat([0]));
    return { w: colW * ncol + size * 0.8, h: rows * size * 1.4 + size * 0.6, colW: colW,
             rows: rows, ncol: ncol };
  }

  function drawLegend(g, leg, box) {
    var dim = legendSize(leg);
    var pad = 4;
    var x = box.x0 + pad;
    var y = box.y0 + pad;
    var loc = leg.outside ? "outside" : leg.loc;
    if (loc === "outside") {
      x = box.x1 + 6;
    } else {
      if (loc.indexOf("right") >= 0) {
        x = box.x1 - dim.w - pad;
      } else if (loc.indexOf("center") >= 0 && loc.indexOf("left") < 0) {
        x = (box.x0 + box.x1 - dim.w) / 2;
      }
      if (loc.indexOf("lower") >= 0) {
        y = box.y1 - dim.h - pad;
      } else if (loc === "right" || loc === "center" || loc.indexOf("center ") === 0) {
        y = (box.y0 + box.y1 - dim.h) / 2;
      }
    }
    var lg = el("g", { class: "static-demo-legend" }, g);
    if (leg.frame) {
      el("rect", { x: x, y: y, width: dim.w, height: dim.h, rx: 2, fill: "rgba(255,255,255,0.8)",
                   stroke: "rgba(204,204,204,1)", "stroke-width": 0.8 }, lg);
    }
    var size = leg.size;
    leg.entries.forEach(function (e, k) {
      var col = Math.floor(k / dim.rows);
      var row = k % dim.rows;
      var ex = x + size * 0.4 + col * dim.colW;
      var ey = y + size * 0.3 + (row + 0.5) * size * 1.4;
      var h = e.handle;
      if (h.kind === "line") {
        if (h.ls) {
          el("line", { x1: ex, y1: ey, x2: ex + size * 2, y2: ey, stroke: rgba(h.color),
                       "stroke-width": h.lw, "stroke-dasharray": dash(h.ls, h.lw) }, lg);
        }
        if (h.marker) {
          marker(lg, h.marker, ex + size, ey, size * 0.6, h.color, h.color);
        }
      } else if (h.kind === "marker") {
        marker(lg, "o", ex + size, ey, size * 0.6, h.color, h.color);
      } else {
        el("rect", { x: ex, y: ey - size * 0.35, width: size * 2, height: size * 0.7,
                     fill: rgba(h.color) }, lg);
      }
      addText(lg, e.runs, ex + size * 2.5, ey, { size: size, baseline: "central" });
    });
  }

  function drawAxes(svg, ax, cell) {
    var ts = ax.ticksize || 10;
    var maxY = 0;
    ax.yticks.forEach(function (t) { maxY = Math.max(maxY, textWidth(t[1], ts)); });
    var left = 6 + (ax.yticklabels ? maxY + 6 : 0) + (ax.ylabel ? ax.ylabel.size * 1.4 : 0);
    var bottom = 6 + (ax.xticklabels ? ts * 1.4 : 0) + (ax.xlabel ? ax.xlabel.size * 1.4 : 0);
    var titleLines = ax.title ? splitLines(ax.title.runs).length : 0;
    var top = 6 + (ax.title ? titleLines * ax.title.size * 1.2 + 2 : 0);
    var right = 10;
    if (ax.legend && ax.legend.outside) {
      right += legendSize(ax.legend).w + 8;
    }
    var box = { x0: cell.x + left, x1: cell.x + cell.w - right,
                y0: cell.y + top, y1: cell.y + cell.h - bottom };
    if (ax.aspect === "equal") {
      var dx = Math.abs(ax.xlim[1] - ax.xlim[0]);
      var dy = Math.abs(ax.ylim[1] - ax.ylim[0]);
      var w = box.x1 - box.x0;
      var h = box.y1 - box.y0;
      var unit = Math.min(w / dx, h / dy);
      var cx = (box.x0 + box.x1) / 2;
      var cy = (box.y0 + box.y1) / 2;
      box = { x0: cx - unit * dx / 2, x1: cx + unit * dx / 2,
              y0: cy - unit * dy / 2, y1: cy + unit * dy / 2 };
    }
    var X = scale(ax.xscale, ax.xlim, box.x0, box.x1);
    var Y = scale(ax.yscale, ax.ylim, box.y1, box.y0);
    var AX = function (f) { return box.x0 + f * (box.x1 - box.x0); };
    var AY = function (f) { return box.y1 - f * (box.y1 - box.y0); };
    function pt(coords, x, y) {
      var px = (coords === "data" || coords === "xaxis") ? X(x) : AX(x);
      var py = (coords === "data" || coords === "yaxis") ? Y(y) : AY(y);
      return [px, py];
    }
    var g = el("g", { class: "static-demo-axes" }, svg);
    var clip = "sdclip" + (++clipCount);
    var cp = el("clipPath", { id: clip }, g);
    el("rect", { x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 }, cp);
    var plot = el("g", { "clip-path": "url(#" + clip + ")" }, g);

    ax.items.forEach(function (it) {
      if (it.type === "line") {
        var d = "";
        var pen = false;
        var pts = [];
        for (var i = 0; i < it.y.length; i++) {
          // x is omitted when it is 0, 1, 2, ... (book/demo_figures.py).
          var p = pt(it.coords, it.x ? it.x[i] : i, it.y[i]);
          if (p[0] === null || p[1] === null || isNaN(p[0]) || isNaN(p[1])) {
            pen = false;
            continue;
          }
          d += (pen ? "L" : "M") + p[0].toFixed(2) + " " + p[1].toFixed(2);
          pen = true;
          pts.push(p);
        }
        if (it.ls && d) {
          el("path", { d: d, fill: "none", stroke: rgba(it.color), "stroke-width": it.lw,
                       "stroke-dasharray": dash(it.ls, it.lw), "stroke-linejoin": "round",
                       "stroke-linecap": "butt", class: "static-demo-line" }, plot);
        }
        if (it.marker) {
          pts.forEach(function (p) { marker(plot, it.marker, p[0], p[1], it.ms, it.mfc, it.mec); });
        }
      } else if (it.type === "poly" || it.type === "polys") {
        (it.type === "poly" ? [it.xy] : it.polys).forEach(function (xy) {
          var pts = xy.map(function (v) { return pt(it.coords, v[0], v[1]); })
            .filter(function (p) { return p[0] !== null && p[1] !== null; });
          if (pts.length) {
            el("polygon", { points: pts.map(function (p) { return p.join(","); }).join(" "),
                            fill: rgba(it.fc), stroke: it.ec ? rgba(it.ec) : "none",
                            "stroke-width": it.ec ? it.lw : 0 }, plot);
          }
        });
      } else if (it.type === "segments") {
        it.segs.forEach(function (seg) {
          var a = pt(it.coords, seg[0][0], seg[0][1]);
          var b = pt(it.coords, seg[1][0], seg[1][1]);
          if (a[0] !== null && a[1] !== null && b[0] !== null && b[1] !== null) {
            el("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: rgba(it.color),
                         "stroke-width": it.lw }, plot);
          }
        });
      } else if (it.type === "scatter") {
        var r = Math.sqrt(it.size);
        for (var k = 0; k < it.x.length; k++) {
          var q = pt(it.coords, it.x[k], it.y[k]);
          if (q[0] !== null && q[1] !== null) {
            marker(plot, it.marker, q[0], q[1], r, it.color, null);
          }
        }
      }
    });

    if (ax.axison) {
      var axisColor = "rgba(0,0,0,1)";
      if (ax.spines.left !== false) {
        el("line", { x1: box.x0, y1: box.y0, x2: box.x0, y2: box.y1, stroke: axisColor,
                     "stroke-width": 0.8 }, g);
      }
      if (ax.spines.bottom !== false) {
        el("line", { x1: box.x0, y1: box.y1, x2: box.x1, y2: box.y1, stroke: axisColor,
                     "stroke-width": 0.8 }, g);
      }
      if (ax.spines.top) {
        el("line", { x1: box.x0, y1: box.y0, x2: box.x1, y2: box.y0, stroke: axisColor,
                     "stroke-width": 0.8 }, g);
      }
      if (ax.spines.right) {
        el("line", { x1: box.x1, y1: box.y0, x2: box.x1, y2: box.y1, stroke: axisColor,
                     "stroke-width": 0.8 }, g);
      }
      ax.xticks.forEach(function (t) {
        var x = X(t[0]);
        if (x === null) {
          return;
        }
        el("line", { x1: x, y1: box.y1, x2: x, y2: box.y1 + 3.5, stroke: axisColor,
                     "stroke-width": 0.8 }, g);
        if (ax.xticklabels && t[1].length) {
          addText(g, t[1], x, box.y1 + 5, { size: ts, anchor: "middle", baseline: "hanging",
                                            cls: "static-demo-xtick" });
        }
      });
      ax.yticks.forEach(function (t) {
        var y = Y(t[0]);
        if (y === null) {
          return;
        }
        el("line", { x1: box.x0 - 3.5, y1: y, x2: box.x0, y2: y, stroke: axisColor,
                     "stroke-width": 0.8 }, g);
        if (ax.yticklabels && t[1].length) {
          addText(g, t[1], box.x0 - 5, y, { size: ts, anchor: "end", baseline: "central",
                                            cls: "static-demo-ytick" });
        }
      });
    }
    ax.texts.forEach(function (t) {
      var p = pt(t.coords, t.x, t.y);
      if (p[0] === null || p[1] === null) {
        return;
      }
      var anchor = { left: "start", center: "middle", right: "end" }[t.ha] || "start";
      var block = { top: "top", bottom: "bottom", center: "middle", center_baseline: "middle",
                    baseline: "bottom" }[t.va] || "bottom";
      var base = { top: "hanging", middle: "central", bottom: "alphabetic" }[block];
      addLines(g, t.runs, p[0], p[1], { size: t.size, color: t.color, anchor: anchor,
                                         baseline: base, block: block });
    });
    if (ax.title) {
      addLines(g, ax.title.runs, (box.x0 + box.x1) / 2, box.y0 - 6,
               { size: ax.title.size, color: ax.title.color, weight: ax.title.weight,
                 anchor: "middle", block: "bottom", cls: "static-demo-title" });
    }
    if (ax.xlabel) {
      addText(g, ax.xlabel.runs, (box.x0 + box.x1) / 2,
              box.y1 + 4 + (ax.xticklabels ? ts * 1.4 : 0),
              { size: ax.xlabel.size, anchor: "middle", baseline: "hanging" });
    }
    if (ax.ylabel) {
      var yx = cell.x + 4;
      addText(g, ax.ylabel.runs, yx, (box.y0 + box.y1) / 2,
              { size: ax.ylabel.size, anchor: "middle", baseline: "hanging", rotate: -90 });
    }
    if (ax.legend) {
      drawLegend(g, ax.legend, box);
    }
  }

  function drawFigure(fig) {
    var W = fig.size[0] * 72;
    var H = fig.size[1] * 72;
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, class: "static-demo-figure",
                          role: "img", "font-family": "DejaVu Sans, Verdana, sans-serif" });
    svg.style.maxWidth = Math.round(fig.size[0] * 110) + "px";
    var title = el("title", {}, svg);
    title.textContent = fig.alt;
    el("rect", { x: 0, y: 0, width: W, height: H, fill: "white" }, svg);
    var top = 0;
    if (fig.suptitle) {
      var n = addLines(svg, fig.suptitle.runs, W / 2, 4, {
        size: fig.suptitle.size, anchor: "middle", baseline: "hanging", block: "top",
        cls: "static-demo-suptitle", weight: fig.suptitle.weight });
      top = n * fig.suptitle.size * 1.2 + 6;
    }
    fig.axes.forEach(function (ax) {
      var g = ax.grid;
      var wr = ax.wr;
      var hr = ax.hr;
      var sumW = wr.reduce(function (a, b) { return a + b; }, 0);
      var sumH = hr.reduce(function (a, b) { return a + b; }, 0);
      var x0 = 0;
      for (var c = 0; c < g[4]; c++) { x0 += wr[c]; }
      var x1 = x0;
      for (c = g[4]; c < g[5]; c++) { x1 += wr[c]; }
      var y0 = 0;
      for (var r = 0; r < g[2]; r++) { y0 += hr[r]; }
      var y1 = y0;
      for (r = g[2]; r < g[3]; r++) { y1 += hr[r]; }
      var cell = { x: x0 / sumW * W, w: (x1 - x0) / sumW * W,
                   y: top + y0 / sumH * (H - top), h: (y1 - y0) / sumH * (H - top) };
      drawAxes(svg, ax, cell);
    });
    return svg;
  }

  function setup(root) {
    var specNode = root.querySelector("script.static-demo-spec");
    if (!specNode || root.dataset.ready) {
      return;
    }
    root.dataset.ready = "1";
    var spec = JSON.parse(specNode.textContent);
    var output = root.querySelector(".static-demo-output");
    var chosen = spec.controls.map(function (c) { return c.initial; });

    function frameIndex() {
      var index = 0;
      spec.controls.forEach(function (c, i) {
        index = index * c.values.length + chosen[i];
      });
      return index;
    }

    function show() {
      var frame = spec.frames[frameIndex()];
      output.textContent = "";
      frame.figures.forEach(function (fig) {
        output.appendChild(drawFigure(fig));
      });
      if (frame.text) {
        var pre = document.createElement("pre");
        pre.className = "static-demo-text";
        pre.textContent = frame.text;
        output.appendChild(pre);
      }
      root.dataset.setting = JSON.stringify(spec.controls.map(function (c, k) {
        return c.values[chosen[k]];
      }));
    }

    spec.controls.forEach(function (c, i) {
      var row = root.querySelector('.static-demo-control[data-name="' + c.name + '"]');
      var readout = row.querySelector(".static-demo-readout");
      var input;
      if (c.kind === "slider") {
        input = document.createElement("input");
        input.type = "range";
        input.min = "0";
        input.max = String(c.values.length - 1);
        input.step = "1";
        input.value = String(c.initial);
      } else {
        input = document.createElement("select");
        c.readouts.forEach(function (text, k) {
          var option = document.createElement("option");
          option.value = String(k);
          option.textContent = text;
          input.appendChild(option);
        });
        input.value = String(c.initial);
        readout.hidden = true;
      }
      input.addEventListener(c.kind === "slider" ? "input" : "change", function () {
        chosen[i] = Number(input.value);
        readout.textContent = c.readouts[chosen[i]];
        show();
      });
      input.className = "static-demo-input";
      input.setAttribute("aria-label", c.label.replace(/\\[()]/g, ""));
      row.insertBefore(input, readout);
    });
    show();
  }

  function setupAll() {
    document.querySelectorAll(".static-demo").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupAll);
  } else {
    setupAll();
  }
})();
