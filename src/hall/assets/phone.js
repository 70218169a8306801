// The customer's ticket on a phone: the place in line and the estimated wait pushed by the display
// server, and "Giliran Anda" (with a vibration where the phone allows) when the ticket is called.
'use strict';
(function () {
  function $(id) { return document.getElementById(id); }
  var url = location.pathname + '/events' + location.search;
  var source = null;
  var buzzed = false;

  function connect() {
    if (source) { source.close(); }
    source = new EventSource(url);
    source.onerror = function () {
      $('reconnect').hidden = false;
      if (source.readyState === EventSource.CLOSED) { setTimeout(connect, 2000); }
    };
    source.addEventListener('ticket', function (e) {
      $('reconnect').hidden = true;
      show(JSON.parse(e.data));
    });
    source.addEventListener('gone', function () {
      source.close();
      $('waiting').hidden = true;
      $('turn').hidden = true;
      $('over').hidden = false;
      $('over').textContent = 'Tiket ini sudah tidak berlaku.';
    });
  }

  function show(t) {
    $('ticket').textContent = t.ticket;
    $('service').textContent = t.service_name;
    var called = (t.status === 'called' || t.status === 'serving') && t.counter_name;
    var over = t.status === 'done' || t.status === 'no_show' || t.status === 'expired';
    $('waiting').hidden = called || over;
    $('turn').hidden = !called;
    $('over').hidden = !over;
    if (called) {
      $('turn-text').textContent = 'Giliran Anda — silakan ke ' + t.counter_name;
      document.title = 'Giliran Anda — ' + t.ticket;
      if (!buzzed && navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 400]); }
      buzzed = true;
    } else {
      buzzed = false;
      document.title = 'Nomor antrean Anda — ' + t.ticket;
    }
    if (over) {
      $('over').textContent = t.status === 'done' ? 'Layanan selesai. Terima kasih.' :
        'Nomor ini sudah tidak dipanggil lagi. Silakan ambil nomor baru atau tanya petugas.';
    }
    if (t.status === 'parked') {
      $('ahead').textContent = 'Ditunda';
      $('wait').textContent = 'Petugas akan memanggil Anda kembali.';
    } else {
      $('ahead').textContent = t.ahead === 0 ? 'Anda berikutnya' : t.ahead + ' orang';
      $('wait').textContent = t.ahead === 0 ? 'sebentar lagi' :
        (t.wait_low_min === t.wait_high_min ? t.wait_low_min : t.wait_low_min + '–' + t.wait_high_min) + ' menit';
    }
  }

  connect();
}());
