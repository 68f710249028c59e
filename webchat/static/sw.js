// The web chat's service worker: it only shows the content-free
// notification a push brings, and opens the chat when it is tapped.
self.addEventListener('push', (e) => {
  let d = {};
  try { d = e.data ? e.data.json() : {}; } catch (_) {}
  e.waitUntil(self.registration.showNotification(d.title || 'Có tin nhắn mới', { body: d.body || '', tag: 'answer', renotify: true }));
});
self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  e.waitUntil(clients.matchAll({ type: 'window' }).then((ws) => {
    for (const w of ws) { if (new URL(w.url).pathname === '/chat') return w.focus(); }
    return clients.openWindow('/chat');
  }));
});
