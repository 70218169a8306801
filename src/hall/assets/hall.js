// The hall page: state and calls pushed by the display server (server-sent events), calls spoken
// one after another from recorded segments. Nothing is polled. For tests, window.loketPlayed lists
// every segment in the order it was played and window.loketCalls every call received.
'use strict';
(function () {
  var MONTHS = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus',
    'September', 'Oktober', 'November', 'Desember'];
  var SEGMENT_TIMEOUT_MS = 4000; // a segment that neither ends nor fails is skipped after this
  var SILENCE_MS = 35000;        // no message (the server pings every 15 s): open a new stream

  var played = [];
  var spoken = [];
  window.loketPlayed = played;
  window.loketCalls = [];
  window.loketSpoken = spoken;

  var voice = { on: true, volume: 80 };
  var lastId = null;
  var source = null;
  var lastMessage = Date.now();
  var clockOffset = 0;
  var tzMinutes = 420;
  var tzName = 'WIB';
  var runningText = null;
  var freshTimer = null;
  var queue = [];
  var speaking = false;
  var audios = {};

  function $(id) { return document.getElementById(id); }

  function setReconnecting(on) {
    $('reconnect').hidden = !on;
    document.body.dataset.connection = on ? 'reconnecting' : 'live';
  }

  function connect() {
    if (source) { source.close(); }
    var url = lastId !== null ? '/events?last=' + encodeURIComponent(lastId) : '/events';
    source = new EventSource(url);
    source.onopen = function () { lastMessage = Date.now(); };
    source.onerror = function () {
      setReconnecting(true);
      if (source.readyState === EventSource.CLOSED) { setTimeout(connect, 1000); }
    };
    source.addEventListener('state', function (e) {
      lastMessage = Date.now();
      if (e.lastEventId) { lastId = e.lastEventId; }
      setReconnecting(false);
      render(JSON.parse(e.data));
    });
    source.addEventListener('call', function (e) {
      lastMessage = Date.now();
      if (e.lastEventId) { lastId = e.lastEventId; }
      var call = JSON.parse(e.data);
      window.loketCalls.push(call);
      showFresh(call);
      enqueue(call);
    });
    source.addEventListener('ping', function () { lastMessage = Date.now(); });
  }

  setInterval(function () {
    if (Date.now() - lastMessage > SILENCE_MS) {
      lastMessage = Date.now();
      setReconnecting(true);
      connect();
    }
  }, 5000);

  function text(el, value) { if (el.textContent !== value) { el.textContent = value; } }

  function showFresh(call) {
    text($('newest-ticket'), call.ticket);
    text($('newest-counter'), call.counter_name);
    var now = $('now');
    now.classList.remove('fresh');
    void now.offsetWidth; // restart the blink
    now.classList.add('fresh');
    clearTimeout(freshTimer);
    freshTimer = setTimeout(function () { now.classList.remove('fresh'); }, 10000);
  }

  function render(s) {
    text($('branch'), s.branch);
    clockOffset = s.now_ms - Date.now();
    tzMinutes = s.utc_offset_minutes;
    tzName = s.timezone;
    voice = s.voice;
    if (s.newest) {
      text($('newest-ticket'), s.newest.ticket);
      text($('newest-counter'), s.newest.counter_name);
    } else {
      text($('newest-ticket'), '—');
      text($('newest-counter'), 'Belum ada panggilan');
    }
    var list = $('recent-list');
    var items = s.recent.slice(1, 6).map(function (c) {
      var li = document.createElement('li');
      var t = document.createElement('span');
      t.textContent = c.ticket;
      var to = document.createElement('span');
      to.className = 'to';
      to.textContent = c.counter_name;
      li.appendChild(t);
      li.appendChild(to);
      return li;
    });
    list.replaceChildren.apply(list, items);
    var waiting = $('waiting-list');
    waiting.replaceChildren.apply(waiting, s.services.map(function (svc) {
      var li = document.createElement('li');
      var name = document.createElement('span');
      var b = document.createElement('b');
      b.textContent = svc.prefix;
      name.appendChild(b);
      name.appendChild(document.createTextNode(svc.name));
      var n = document.createElement('span');
      n.className = 'n';
      n.textContent = svc.waiting + ' orang';
      li.appendChild(name);
      li.appendChild(n);
      return li;
    }));
    if (runningText !== s.running_text) {
      runningText = s.running_text;
      $('running-text').textContent = s.running_text;
      // The same reading speed whatever the length: about four characters a second.
      $('running-text').style.animationDuration = Math.max(12, s.running_text.length / 4) + 's';
    }
    tick();
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function tick() {
    var t = new Date(Date.now() + clockOffset + tzMinutes * 60000);
    text($('time'), pad(t.getUTCHours()) + '.' + pad(t.getUTCMinutes()) + ' ' + tzName);
    // The same style as every other screen and slip (src/when.rs): 6 Desember 2026, 15.54 WIB.
    text($('date'), t.getUTCDate() + ' ' + MONTHS[t.getUTCMonth()] + ' ' + t.getUTCFullYear());
  }
  setInterval(tick, 1000);

  // Calls wait their turn: a new call never cuts off the one being spoken.
  function enqueue(call) {
    if (!voice.on) { return; }
    queue.push(call);
    if (!speaking) { next(); }
  }

  function next() {
    var call = queue.shift();
    if (!call) { speaking = false; return; }
    speaking = true;
    call.segments.forEach(audio); // start loading the whole call
    play(call.segments.slice(), function () {
      spoken.push(call.ticket);
      setTimeout(next, 500);
    });
  }

  function audio(name) {
    if (!audios[name]) {
      var a = new Audio('/voice/' + encodeURIComponent(name));
      a.preload = 'auto';
      audios[name] = a;
    }
    return audios[name];
  }

  function play(list, done) {
    var name = list.shift();
    if (name === undefined) { done(); return; }
    played.push(name);
    var a = audio(name);
    var finished = false;
    var timer = null;
    function finish() {
      if (finished) { return; }
      finished = true;
      clearTimeout(timer);
      a.removeEventListener('ended', finish);
      a.removeEventListener('error', finish);
      play(list, done);
    }
    timer = setTimeout(finish, SEGMENT_TIMEOUT_MS);
    a.addEventListener('ended', finish);
    a.addEventListener('error', finish);
    a.volume = Math.max(0, Math.min(1, voice.volume / 100));
    try { a.currentTime = 0; } catch (e) { /* not loaded yet */ }
    var p = a.play();
    if (p && p.catch) { p.catch(finish); }
  }

  setReconnecting(false);
  connect();
}());
