// Kiosk service worker: keeps the page and its files so the kiosk starts and works with no network.
// Entries are not handled here: the page queues them in IndexedDB and sends them itself.
"use strict";
var CACHE = "guichet-kiosk-v2";
var SHELL = [
  "/kiosk",
  "/kiosk/manifest.webmanifest",
  "/static/kiosk/kiosk.js",
  "/static/kiosk/kiosk.css",
  "/static/kiosk/icon.svg",
  "/static/kiosk/icon-192.png",
  "/static/kiosk/face-1.svg",
  "/static/kiosk/face-2.svg",
  "/static/kiosk/face-3.svg",
  "/static/kiosk/face-4.svg",
  "/static/kiosk/face-5.svg"
];
// A slow network must not leave a person in front of a blank screen.
var NETWORK_TIMEOUT_MS = 3000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function shellKey(url) {
  if (url.pathname === "/kiosk" || url.pathname === "/kiosk/") return "/kiosk";
  return SHELL.indexOf(url.pathname) >= 0 ? url.pathname : null;
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (r) { clearTimeout(timer); resolve(r); }, function (e) { clearTimeout(timer); reject(e); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var key = shellKey(url);
  if (!key) return; // the API and everything else go straight to the network
  // Network first, so an updated kiosk is picked up when online; the saved copy otherwise.
  event.respondWith(
    withTimeout(fetch(request, { cache: "no-store" }), NETWORK_TIMEOUT_MS).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status); // a server error: the saved copy is better
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
      return response;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(key); }).then(function (cached) {
        return cached || Response.error();
      });
    })
  );
});
