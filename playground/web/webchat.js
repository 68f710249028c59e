// The web chat column: the bot's own /chat page, as a person without
// Telegram sees it, in a frame. One per browser: the page's session is
// a cookie, so a second web returnee needs another browser (or "end the
// session on this phone" inside the frame).
(() => {
  'use strict';
  const btn = document.querySelector('[data-testid="new-webchat"]');
  const col = document.getElementById('webchat');
  fetch('api/state').then((r) => r.json()).then((st) => {
    if (!st.webchat) return;
    btn.hidden = false;
    btn.addEventListener('click', () => {
      col.replaceChildren();
      const head = document.createElement('header');
      head.className = 'chat-head';
      const who = document.createElement('div');
      who.className = 'who';
      who.innerHTML = '<div class="name">Web chat</div><div class="sub">/chat · no Telegram</div>';
      head.append(who);
      const frame = document.createElement('iframe');
      frame.src = st.webchat;
      frame.title = 'web chat';
      frame.setAttribute('data-testid', 'webchat-frame');
      col.append(head, frame);
      col.hidden = false;
    });
  }).catch(() => {});
})();
