// The dashboard's charts: finds each chart block's container (div.chart[data-chart]) and draws it
// with the vendored uPlot: axis titles, readable ticks, a legend with the values under the cursor,
// a tooltip, and a size that follows the card (ResizeObserver). The data and options come as JSON
// in data-* attributes written by readiness.web.charts; nothing here is evaluated from markup, so
// the Content-Security-Policy needs no inline script. The number spelling mirrors
// readiness.web.chart_format exactly (a test runs both on the same cases).
(function (root) {
  "use strict";

  // Tick steps a person counts durations in (chart_format.DURATION_STEPS): 1, 2, 5 ms ... 10, 15,
  // 20, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h, 1, 2, 7 days.
  var DURATION_STEPS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30,
    60, 120, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function fixed(value, decimals) {
    var text = value.toFixed(decimals);
    if (text.indexOf(".") >= 0) text = text.replace(/0+$/, "").replace(/\.$/, "");
    return text === "-0" ? "0" : text;
  }

  function significant(value, digits) {
    if (value === 0) return "0";
    var magnitude = Math.floor(Math.log10(Math.abs(value)));
    return fixed(value, Math.max(0, (digits || 3) - 1 - magnitude));
  }

  function number(value) {
    if (Math.abs(value) >= 1000) {
      return String(parseInt(fixed(value, 0), 10)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    }
    return significant(value);
  }

  function duration(seconds) {
    if (seconds < 0) return "-" + duration(-seconds);
    if (seconds === 0) return "0 s";
    if (seconds < 1) {
      var ms = parseFloat(significant(seconds * 1000));
      if (ms < 1000) return significant(ms) + " ms";
    }
    if (seconds < 60) {
      var s = parseFloat(significant(seconds));
      if (s < 60) return significant(s) + " s";
    }
    var whole = parseInt(fixed(seconds, 0), 10);
    if (whole < 3600) {
      var rest = whole % 60;
      return Math.floor(whole / 60) + " min" + (rest ? " " + rest + " s" : "");
    }
    var minutes = parseInt(fixed(seconds / 60, 0), 10);
    var restMin = minutes % 60;
    return Math.floor(minutes / 60) + " h" + (restMin ? " " + restMin + " min" : "");
  }

  function percent(value) {
    if (value !== 0 && Math.abs(value) < 0.05) return value > 0 ? "<0.1%" : ">-0.1%";
    return fixed(value, 1) + "%";
  }

  function formatValue(value, unit) {
    if (value === null || value === undefined || !isFinite(value)) return "–";
    if (unit === "s") return duration(value);
    if (unit === "%") return percent(value);
    return unit ? number(value) + " " + unit : number(value);
  }

  function day(label) {
    var found = /^(\d{4})-(\d{2})-(\d{2})$/.exec(label);
    var month = found ? parseInt(found[2], 10) : 0;
    if (!found || month < 1 || month > 12) return label;
    return parseInt(found[3], 10) + " " + MONTHS[month - 1];
  }

  function shorten(label, limit) {
    return label.length <= limit ? label : "…" + label.slice(label.length - (limit - 1));
  }

  var format = { durationSteps: DURATION_STEPS, duration: duration, percent: percent, number: number, value: formatValue, day: day, shorten: shorten };

  if (typeof module !== "undefined" && module.exports) {
    module.exports = format; // node: the formatting tests
    return;
  }
  root.ReadinessCharts = { format: format };
  if (typeof document === "undefined" || typeof root.uPlot === "undefined") return;
  var uPlot = root.uPlot;

  var SMALL = 560; // below this width (a phone) the text grows and long labels shrink more
  var MUTED = "#5b6475";
  var GRID = "#e8eaef";

  function fonts(small) {
    var size = small ? 14 : 13;
    return { tick: size + "px system-ui, sans-serif", label: "600 " + size + "px system-ui, sans-serif", px: size };
  }

  // The widest tick label decides an axis's size, so no label is ever clipped.
  function axisSize(self, values, axisIdx, cycleNum) {
    var axis = self.axes[axisIdx];
    if (cycleNum > 1) return axis._size;
    var size = axis.ticks.size + axis.gap;
    if (axis.side % 2 === 0) return Math.ceil(size + parseFloat(axis.font[1] || 13) * 1.4 / uPlot.pxRatio) + 2;
    var longest = (values || []).reduce(function (a, v) { return String(v).length > a.length ? String(v) : a; }, "");
    if (longest) {
      self.ctx.font = axis.font[0];
      size += self.ctx.measureText(longest).width / uPlot.pxRatio;
    }
    return Math.ceil(size) + 2;
  }

  // Ticks at category positions, thinned so that labels of `chars` characters never overlap.
  function categorySplits(count, offset, labels, px) {
    return function (self) {
      var along = self.scales.x.ori === 0 ? self.bbox.width : self.bbox.height;
      var space = along / uPlot.pxRatio || 300;
      var longest = labels.reduce(function (a, l) { return Math.max(a, l.length); }, 1);
      var need = self.scales.x.ori === 0 ? longest * px * 0.6 + 14 : px * 1.6;
      var step = Math.max(1, Math.ceil(count * need / space));
      var out = [];
      for (var i = 0; i < count; i += step) out.push(i + offset);
      return out;
    };
  }

  function tooltipPlugin(labels, unit, names) {
    var tip;
    return {
      hooks: {
        init: function (u) {
          // In the chart's container, not the plot: a long label may use the chart's full width.
          tip = document.createElement("div");
          tip.className = "chart-tooltip";
          tip.hidden = true;
          u.root.parentNode.appendChild(tip);
        },
        setCursor: function (u) {
          var idx = u.cursor.idx;
          if (idx === null || idx === undefined || u.cursor.left < 0) { tip.hidden = true; return; }
          tip.textContent = "";
          var head = document.createElement("strong");
          head.textContent = labels[idx];
          tip.appendChild(head);
          for (var s = 1; s < u.series.length; s++) {
            if (!u.series[s].show) continue;
            var line = document.createElement("div");
            line.textContent = names[s - 1] + ": " + formatValue(u.data[s][idx], unit);
            tip.appendChild(line);
          }
          tip.hidden = false;
          var box = tip.parentNode.getBoundingClientRect();
          var over = u.over.getBoundingClientRect();
          var x = over.left - box.left + u.cursor.left;
          var y = over.top - box.top + u.cursor.top;
          var left = x + 12;
          if (left + tip.offsetWidth > box.width) left = Math.max(0, x - tip.offsetWidth - 12);
          tip.style.left = left + "px";
          // Above the cursor if there is room, else below it (never off the top of the chart).
          var top = y - tip.offsetHeight - 10;
          tip.style.top = (top >= 0 ? top : y + 14) + "px";
        },
      },
    };
  }

  // The cursor line sits on the nearest point or bar, not between them.
  function snap(u, left, top) {
    if (left < 0) return [left, top]; // the cursor left the plot
    var idx = u.posToIdx(left);
    return [idx === null || idx === undefined ? left : u.valToPos(u.data[0][idx], "x"), top];
  }

  function yRange(options) {
    return function (self, dataMin, dataMax) {
      var lo = options.y_min !== null && options.y_min !== undefined ? options.y_min : dataMin;
      var hi = options.y_max;
      if (hi === null || hi === undefined) {
        // A little headroom, so the highest point never sits on the plot's top edge.
        hi = dataMax === null || dataMax <= lo ? lo + 1 : dataMax + (dataMax - lo) * 0.08;
      }
      return [Math.min(lo, dataMin === null ? lo : dataMin), Math.max(hi, dataMax === null ? hi : dataMax)];
    };
  }

  function config(kind, data, options, width, small) {
    var f = fonts(small);
    var unit = options.unit;
    var n = data.labels.length;
    var bar = kind === "bar";
    var columns = kind !== "line";
    var names = data.series.map(function (s) { return s.name; });
    var ticks = bar
      ? data.labels.map(function (l) { return shorten(l, Math.max(10, Math.min(40, Math.floor(width * (small ? 0.34 : 0.4) / (f.px * 0.6))))); })
      : data.ticks;
    var integral = data.series.every(function (s) { return s.values.every(function (v) { return v === null || v === Math.round(v); }); });
    var xAxis = {
      scale: "x",
      side: bar ? 3 : 2,
      label: options.x_label || "",
      labelSize: options.x_label ? f.px + 10 : 0,
      font: f.tick,
      labelFont: f.label,
      stroke: MUTED,
      grid: { show: false },
      ticks: { stroke: GRID },
      size: axisSize,
      gap: 6,
      splits: kind === "histogram"
        ? categorySplits(n + 1, -0.5, ticks, f.px)
        : categorySplits(n, 0, ticks, f.px),
      values: function (self, splits) {
        return splits.map(function (pos) { return ticks[Math.round(pos + (kind === "histogram" ? 0.5 : 0))] || ""; });
      },
    };
    var yAxis = {
      scale: "y",
      side: bar ? 2 : 3,
      label: options.y_label || "",
      labelSize: options.y_label ? f.px + 10 : 0,
      font: f.tick,
      labelFont: f.label,
      stroke: MUTED,
      grid: { stroke: GRID, width: 1 },
      ticks: { stroke: GRID },
      size: axisSize,
      gap: 6,
      space: bar ? f.px * 5 : f.px * 2.4,
      values: function (self, splits) { return splits.map(function (v) { return formatValue(v, unit); }); },
    };
    if (unit === "s") yAxis.incrs = DURATION_STEPS;
    // Bars: ticks as far apart as their labels need ("1 min" or "50%", not the widest value).
    if (bar) yAxis.space = function (self, axisIdx, min, max) { return Math.min(6, formatValue(max, unit).length) * f.px * 0.6 + 16; };
    if (integral && unit !== "s") yAxis.incrs = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 100000];
    var series = [{
      label: options.x_label || (bar ? "Item" : kind === "histogram" ? "Range" : "Point"),
      value: function (self, v) { return v === null || v === undefined ? "–" : data.labels[v]; },
    }];
    data.series.forEach(function (s, i) {
      var color = options.colors[i % options.colors.length];
      series.push({
        label: s.name,
        stroke: color,
        width: columns ? 0 : 2,
        fill: columns ? color + "cc" : undefined,
        points: columns ? { show: false } : { size: 6 }, // a line's points show while they fit
        paths: columns ? uPlot.paths.bars({ size: [0.7, 64], align: 0 }) : undefined,
        spanGaps: false,
        value: function (self, v) { return formatValue(v, unit); },
      });
    });
    var xRange = columns || n === 1 ? [-0.5, n - 0.5] : [0, n - 1];
    // The last tick label is centred on the plot's edge: leave room for its half.
    var top = options.y_max;
    if (top === null || top === undefined) {
      top = data.series.reduce(function (a, s) { return s.values.reduce(function (b, v) { return v === null ? b : Math.max(b, v); }, a); }, 0);
    }
    var bottomTicks = bar ? [formatValue(top, unit), formatValue(top * 1.2, unit)] : ticks;
    var lastTick = bottomTicks.reduce(function (a, l) { return Math.max(a, String(l).length); }, 1);
    var right = Math.ceil(lastTick * f.px * 0.32) + 6;
    var cursor = { y: false, drag: { x: false, y: false }, points: { size: 8 } };
    if (!columns) cursor.move = snap; // (set only when wanted: undefined would replace the default)
    return {
      width: width,
      height: options.height,
      padding: [12, right, 0, 0],
      scales: {
        x: { time: false, range: function () { return xRange; }, ori: bar ? 1 : 0, dir: bar ? -1 : 1 },
        y: { range: yRange(options), ori: bar ? 0 : 1, dir: 1 },
      },
      axes: [xAxis, yAxis],
      series: series,
      // A line chart's legend follows the cursor (compare p50 and p95 at a glance); bars name
      // their series only, the tooltip spells the hovered bar (labels can be long test ids).
      legend: { show: true, live: !columns },
      cursor: cursor,
      plugins: [tooltipPlugin(data.labels, unit, names)],
    };
  }

  function draw(el) {
    if (el.getAttribute("data-chart-drawn")) return;
    var kind = el.getAttribute("data-chart");
    var data = JSON.parse(el.getAttribute("data-chart-data"));
    var options = JSON.parse(el.getAttribute("data-chart-options"));
    var columns = [data.labels.map(function (_, i) { return i; })];
    data.series.forEach(function (s) { columns.push(s.values); });
    var chart = null;
    var small = null;
    function build() {
      var width = Math.floor(el.clientWidth);
      if (width <= 0) return;
      var nowSmall = width < SMALL;
      if (chart && nowSmall === small) {
        if (width !== chart.width) chart.setSize({ width: width, height: options.height });
        return;
      }
      if (chart) chart.destroy();
      small = nowSmall;
      chart = new uPlot(config(kind, data, options, width, small), columns, el);
      el.readinessChart = chart; // for the browser tests: its scales and size
    }
    el.setAttribute("data-chart-drawn", "true");
    build();
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(build).observe(el);
  }

  function drawAll(scope) {
    var found = (scope || document).querySelectorAll("div.chart[data-chart]");
    for (var i = 0; i < found.length; i++) draw(found[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { drawAll(); });
  else drawAll();
  // Charts in content htmx swapped in are drawn too.
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})(this);
