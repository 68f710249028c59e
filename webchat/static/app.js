// The web chat page: posts what the person writes, reads the answers as
// server-sent events (or by long polling), resumes after the last message
// it saw. No framework: it must run on a cheap phone over 3G.
(function () {
  'use strict';
  var body = document.body, log = document.getElementById('log');
  var say = document.getElementById('say'), press = document.getElementById('press');
  var status = document.getElementById('status');
  var csrf = say.elements.csrf.value;
  var last = parseInt(body.getAttribute('data-last'), 10) || 0;
  var dl = document.getElementById('t-download').textContent;

  function bottom() { window.scrollTo(0, document.body.scrollHeight); }
  function show(msg) { status.textContent = msg; status.hidden = !msg; }

  function post(form, extra) {
    var data = new URLSearchParams();
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
      if (el.name && el.type !== 'submit' && !(el.name in extra)) data.append(el.name, el.value);
    }
    for (var k in extra) data.append(k, extra[k]);
    // One at a time, in the order written: two messages typed quickly on
    // a slow line must not reach the bot the other way round.
    var sent = queue.then(function () { return send(form.action, data); });
    queue = sent.then(null, function () {});
    return sent;
  }

  var queue = Promise.resolve();

  function send(action, data) {
    return fetch(action, {
      method: 'POST', body: data, credentials: 'same-origin',
      headers: { 'X-Requested-With': 'fetch', 'X-CSRF-Token': csrf, 'Accept': 'application/json' }
    }).then(function (r) {
      if (r.status === 401) { location.reload(); return false; }
      if (!r.ok) return r.json().then(function (j) { show(j.error || String(r.status)); return false; }, function () { show(String(r.status)); return false; });
      show('');
      return true;
    }, function () { show(status.getAttribute('data-offline')); return false; });
  }

  say.addEventListener('submit', function (e) {
    e.preventDefault();
    var t = say.elements.text, v = t.value;
    if (!v.trim()) return;
    // Cleared at once, so that what is typed next is a new message; put
    // back if it did not go.
    t.value = '';
    post(say, { text: v }).then(function (ok) { if (!ok && !t.value) t.value = v; });
  });
  say.elements.text.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); say.requestSubmit ? say.requestSubmit() : say.dispatchEvent(new Event('submit')); }
  });
  log.addEventListener('click', function (e) {
    var b = e.target.closest('button[name="b"]');
    if (!b) return;
    e.preventDefault();
    post(press, { b: b.value });
  });

  function add(m) {
    if (m.id <= last) return;
    last = m.id;
    // The newest buttons stay until the person acts or newer ones come.
    if (m.mine || (m.buttons && m.buttons.length)) {
      var old = log.querySelectorAll('.row');
      for (var i = 0; i < old.length; i++) old[i].remove();
    }
    var d = document.createElement('div');
    d.className = 'msg ' + (m.mine ? 'mine' : 'bot');
    d.setAttribute('data-id', m.id);
    var p = document.createElement('p');
    p.textContent = m.text;
    d.appendChild(p);
    if (m.file) {
      var a = document.createElement('a');
      a.className = 'file'; a.href = m.file; a.download = m.name || ''; a.title = dl;
      a.setAttribute('data-testid', 'file');
      a.textContent = '\u2b07 ' + (m.name || dl);
      d.appendChild(a);
    }
    (m.buttons || []).forEach(function (row) {
      var r = document.createElement('div');
      r.className = 'row';
      row.forEach(function (btn) {
        var b = document.createElement('button');
        b.type = 'submit'; b.name = 'b'; b.value = btn.data; b.textContent = btn.label;
        b.setAttribute('form', 'press');
        r.appendChild(b);
      });
      d.appendChild(r);
    });
    log.appendChild(d);
    bottom();
  }

  function listen() {
    if (window.EventSource) {
      var es = new EventSource('/chat/events?after=' + last);
      es.onmessage = function (e) { show(''); add(JSON.parse(e.data)); };
      es.onopen = function () { show(''); body.setAttribute('data-live', '1'); };
      es.onerror = function () {
        body.removeAttribute('data-live');
        if (es.readyState === 2) { setTimeout(listen, 3000); }
      };
      return;
    }
    (function poll() {
      fetch('/chat/events?poll=1&after=' + last, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (r) { if (r.status === 401) { location.reload(); } return r.json(); })
        .then(function (ms) { show(''); ms.forEach(add); poll(); },
              function () { show(status.getAttribute('data-offline')); setTimeout(poll, 3000); });
    })();
  }

  // Web Push: offered where the browser has it; the notification says
  // only that something arrived.
  var nb = document.getElementById('notify'), end = document.getElementById('end');
  var vapid = body.getAttribute('data-vapid');
  function key(s) {
    var b = atob((s + '===='.slice(s.length % 4)).replace(/-/g, '+').replace(/_/g, '/'));
    var a = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) a[i] = b.charCodeAt(i);
    return a;
  }
  if ('serviceWorker' in navigator && 'PushManager' in window && window.Notification && Notification.permission !== 'denied' && vapid) {
    navigator.serviceWorker.register('/chat/sw.js', { scope: '/chat' }).then(function (reg) {
      return reg.pushManager.getSubscription().then(function (s) {
        if (s) { end.elements.endpoint.value = s.endpoint; return; }
        nb.hidden = false;
        nb.onclick = function () {
          reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(vapid) }).then(function (s) {
            nb.hidden = true;
            end.elements.endpoint.value = s.endpoint;
            return fetch('/chat/push', { method: 'POST', credentials: 'same-origin', body: JSON.stringify(s),
              headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, 'X-Requested-With': 'fetch' } });
          }).catch(function () { nb.hidden = true; });
        };
      });
    }).catch(function () {});
  }

  bottom();
  listen();
})();
