/* Signature pad for the work order sign-off: the client draws with a finger, a pen or the
   mouse; the drawing goes into the form's hidden field as a PNG data URL. No libraries.

   The script may run more than once (HTMX re-runs scripts in swapped pages), so it sets
   itself up once and then only wires pads it has not seen. */
(function () {
  "use strict";

  var INK = "#10243e";
  var LINE_WIDTH = 2.6; // CSS pixels
  var MAX_SCALE = 2; // device pixels per CSS pixel: sharp enough, and keeps the PNG small

  function setUp(form) {
    if (form.dataset.signatureReady) return;
    form.dataset.signatureReady = "1";
    form.hidden = false;

    var canvas = form.querySelector("[data-signature-pad]");
    var field = form.querySelector("[data-signature-value]");
    var clear = form.querySelector("[data-signature-clear]");
    var message = form.querySelector("[data-signature-message]");
    var ctx = canvas.getContext("2d");
    var strokes = []; // each stroke: points as fractions of the pad's width and height
    var current = null;
    var backdrop = null; // a signature kept from a refused post, drawn under new strokes

    function size() {
      var scale = Math.min(window.devicePixelRatio || 1, MAX_SCALE);
      var rect = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(rect.width * scale));
      canvas.height = Math.max(1, Math.round(rect.height * scale));
      redraw();
    }

    function redraw() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      if (backdrop) ctx.drawImage(backdrop, 0, 0, canvas.width, canvas.height);
      var scale = canvas.width / canvas.getBoundingClientRect().width || 1;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = INK;
      ctx.fillStyle = INK;
      ctx.lineWidth = LINE_WIDTH * scale;
      strokes.forEach(drawStroke);
    }

    function at(point) {
      return [point[0] * canvas.width, point[1] * canvas.height];
    }

    function drawStroke(points) {
      if (points.length === 1) {
        var p = at(points[0]);
        ctx.beginPath();
        ctx.arc(p[0], p[1], ctx.lineWidth / 2, 0, Math.PI * 2);
        ctx.fill();
        return;
      }
      ctx.beginPath();
      var first = at(points[0]);
      ctx.moveTo(first[0], first[1]);
      for (var i = 1; i < points.length - 1; i++) {
        // through the midpoints: smooth curves instead of a polyline
        var a = at(points[i]);
        var b = at(points[i + 1]);
        ctx.quadraticCurveTo(a[0], a[1], (a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
      }
      var last = at(points[points.length - 1]);
      ctx.lineTo(last[0], last[1]);
      ctx.stroke();
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return [(event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height];
    }

    function save() {
      field.value = strokes.length || backdrop ? canvas.toDataURL("image/png") : "";
      if (field.value && message) message.hidden = true;
    }

    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 && event.pointerType === "mouse") return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      current = [point(event)];
      strokes.push(current);
      redraw();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!current) return;
      event.preventDefault();
      var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      (events.length ? events : [event]).forEach(function (e) {
        current.push(point(e));
      });
      redraw();
    });
    function finish() {
      if (!current) return;
      current = null;
      save();
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("lostpointercapture", finish);

    clear.addEventListener("click", function () {
      strokes = [];
      backdrop = null;
      redraw();
      save();
    });

    if (window.ResizeObserver) {
      new ResizeObserver(size).observe(canvas);
    } else {
      window.addEventListener("resize", size);
    }

    if (field.value.indexOf("data:image/png;base64,") === 0) {
      var image = new Image();
      image.onload = function () {
        backdrop = image;
        redraw();
      };
      image.src = field.value;
    }
    size();
  }

  function setUpAll(root) {
    root = root || document;
    if (root.matches && root.matches("[data-signature-form]")) setUp(root);
    if (root.querySelectorAll) root.querySelectorAll("[data-signature-form]").forEach(setUp);
  }

  // An empty pad is not sent. Caught on the way down, before HTMX's boost sends the form.
  function refuseEmpty(event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-signature-form]")) return;
    var field = form.querySelector("[data-signature-value]");
    if (field.value) return;
    event.preventDefault();
    event.stopPropagation();
    var message = form.querySelector("[data-signature-message]");
    if (message) message.hidden = false;
    form.querySelector("[data-signature-pad]").scrollIntoView({ block: "center" });
  }

  if (!window.fettleSignature) {
    window.fettleSignature = { setUpAll: setUpAll };
    document.addEventListener("submit", refuseEmpty, true);
    document.addEventListener("htmx:load", function (event) {
      setUpAll(event.target);
    });
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () {
        setUpAll();
      });
    }
  }
  setUpAll();
})();
