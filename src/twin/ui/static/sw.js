// The dashboard's service worker: keeps plotly.js in Cache Storage, nothing else.
// Chromium stores a script's compiled code with it when a service worker caches it while
// installing, so the first chart page after a page without charts runs plotly.js (4.8 MB)
// without compiling it. Pages, data and every other request go to the network untouched.
"use strict";
const PLOTLY = new URL(self.location.href).searchParams.get("plotly") || "";
const PREFIX = "twin-ui-plotly-";
const CACHE = PREFIX + PLOTLY;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.add(PLOTLY);
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  // Drop the copies of earlier plotly.js versions (their URLs carry another digest).
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf(PREFIX) === 0 && key !== CACHE;
      }).map(function (key) {
        return caches.delete(key);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

self.addEventListener("fetch", function (event) {
  if (!PLOTLY || new URL(event.request.url).pathname !== PLOTLY) {
    return;
  }
  event.respondWith(
    caches.open(CACHE).then(function (cache) {
      return cache.match(PLOTLY).then(function (hit) {
        return hit || fetch(event.request);
      });
    })
  );
});
