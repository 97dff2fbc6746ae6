/*
 * Passerelle chat widget.
 *
 * Embed with one tag:
 *   <script src="https://ville.example/passerelle.js" data-server="wss://ville.example/ws"
 *           data-lang="fr" data-position="bottom-right" defer></script>
 *
 * data-server   WebSocket URL; defaults to ws(s)://<host of this script>/ws
 * data-lang     language selected at first visit (fr, de, pl, pt, ar); defaults to the page's lang, else fr
 * data-position bottom-right (default), bottom-left, or the direction-relative bottom-end / bottom-start
 *
 * The widget lives in a Shadow DOM so that the host page's CSS cannot reach it, and it loads
 * passerelle.css and passerelle-labels.json from beside this script (never from another host). Every
 * string a person sees comes from locales/: first from passerelle-labels.json, which travels with the
 * script, so that the panel is complete even when the chat server cannot be reached; then from the
 * server's welcome frame (labels per language), which replaces it. Server text is only ever inserted with
 * textContent / createTextNode: answers may contain anything.
 */
(function () {
  'use strict';

  // A classic deferred script still has document.currentScript while it runs; the query is a fallback
  // for loaders that inject the script in ways that clear it.
  const script = document.currentScript || document.querySelector('script[src*="passerelle.js"]');
  if (!script || window.__passerelleLoaded) return;
  window.__passerelleLoaded = true;

  const STORAGE_VERSION = 1;
  const MAX_STORED_MESSAGES = 200;
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_CAP_MS = 10000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const DEFAULT_MAX_TEXT = 1000; // the server's default limit, used until a welcome frame says otherwise
  const COUNTER_FROM = 0.8; // the character counter shows from this share of the limit on
  const LABELS_WAIT_MS = 3000; // the widget shows itself without its labels file after this long
  const LINK_LABEL_MAX = 36; // characters of a shortened link (host + path)
  const CONTACT_ENTRIES_DEFAULT = 10; // conversation lines sent with a message to staff, unless the server says
  const CONTACT_CHARS_DEFAULT = 300; // characters of each
  const MAIL_ICON = 'M4 5h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2zm0 2v.5l8 5 8-5V7H4zm16 2.9-8 5-8-5V17h16V9.9z';
  // Shown only when neither the labels file nor a welcome frame has told us the labels: neutral symbols.
  const NEUTRAL = { open_chat: '\uD83D\uDCAC', close_chat: '\u2715', send: '\u27A4', online: '\u25CF', offline: '\u25CB' };

  const config = readConfig(script);
  const storageKey = 'passerelle:' + config.server;
  // The screens where the panel covers the window (the same query as in passerelle.css).
  const SMALL_SCREEN = '(max-width: 480px), (max-height: 520px)';
  const waiting = { css: true, labels: true }; // what the widget waits for before it shows (see ready)

  // All that the widget remembers; persisted to sessionStorage so a reload in the same tab
  // shows the same conversation in the same language.
  const state = {
    lang: config.lang,
    open: false,
    seq: 0, // last client message id number; ids must stay unique across reloads of the tab
    languages: [], // from the last welcome frame, else the labels file: [{code, name, dir, welcome, labels, suggestions}]
    maxText: DEFAULT_MAX_TEXT, // longest question the server accepts, in characters (welcome's max_text)
    contactOffer: null, // the server takes messages to staff: welcome's contact {retention_days, ...}, or null
    contact: null, // the message to staff being written or sent: {status, text, replyTo, key, id, lang, conversation}
    contactView: false, // the form to write to a person is open
    context: '', // the last answer's context token: sent back so that another server keeps the thread
    messages: [] // {from:'user'|'bot', text, lang, id, status, kind, suggestions, suggestionsLang}
  };

  let ui = null; // DOM references, built once
  let socket = null;
  let online = false;
  let attempt = 0; // consecutive failed connection attempts, drives the backoff
  let reconnectTimer = 0;
  let unreachable = false; // the last attempt to connect failed: say the service is unavailable
  let pinned = true; // the conversation shows its latest message: keep it so when the panel resizes
  let lastPointer = ''; // how the launcher was last pressed: touch or pen opens without the on-screen keyboard
  let feedbackSeq = 0; // ids of the vote groups' questions, unique within the shadow root
  let contactOpener = null; // the button that opened the form to write to a person: focus goes back to it

  restore();
  build();
  loadLabels();
  renderAll();
  connect();

  /* ---------------------------------------------------------------- configuration */

  function readConfig(el) {
    const src = new URL(el.getAttribute('src') || '', document.baseURI);
    let server = el.getAttribute('data-server');
    if (!server) {
      // Same host as the script: the server serves both the widget files and /ws.
      server = (src.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + src.host + '/ws';
    }
    const pageLang = (document.documentElement.getAttribute('lang') || '').slice(0, 2).toLowerCase();
    let position = el.getAttribute('data-position') || 'bottom-right';
    if (!/^bottom-(right|left|start|end)$/.test(position)) position = 'bottom-right';
    return {
      server: server,
      css: new URL('passerelle.css', src).href,
      labels: new URL('passerelle-labels.json', src).href,
      lang: (el.getAttribute('data-lang') || pageLang || 'fr').toLowerCase(),
      position: position
    };
  }

  /* ---------------------------------------------------------------- persistence */

  function restore() {
    let saved = null;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(storageKey) || 'null');
    } catch (e) {
      saved = null; // storage disabled (privacy mode, sandboxed frame) or corrupt: start afresh
    }
    if (!saved || saved.v !== STORAGE_VERSION) return;
    if (typeof saved.lang === 'string') state.lang = saved.lang;
    state.open = !!saved.open;
    state.seq = saved.seq | 0;
    if (saved.maxText > 0) state.maxText = saved.maxText | 0;
    state.contactOffer = cleanOffer(saved.contactOffer);
    if (saved.contact && typeof saved.contact.text === 'string') state.contact = saved.contact;
    // As the questions below: a message on its way when the page went is sent again, with its key.
    if (state.contact && state.contact.status === 'sent') state.contact.status = 'queued';
    state.contactView = !!saved.contactView && !!state.contactOffer && !!state.contact;
    if (typeof saved.context === 'string') state.context = saved.context;
    if (Array.isArray(saved.languages)) {
      state.languages = saved.languages.filter(function (l) { return l && typeof l.code === 'string'; });
    }
    if (Array.isArray(saved.messages)) {
      state.messages = saved.messages.filter(function (m) {
        return m && (m.from === 'user' || m.from === 'bot') && typeof m.text === 'string';
      });
    }
    // The page that sent these never got their answers: the new connection will send them again.
    state.messages.forEach(function (m) {
      if (m.from === 'user' && m.status === 'sent') m.status = 'queued';
    });
  }

  function save() {
    const data = {
      v: STORAGE_VERSION,
      lang: state.lang,
      open: state.open,
      seq: state.seq,
      maxText: state.maxText,
      contactOffer: state.contactOffer,
      contact: state.contact,
      contactView: state.contactView,
      context: state.context,
      languages: state.languages,
      messages: state.messages.slice(-MAX_STORED_MESSAGES)
    };
    try {
      window.sessionStorage.setItem(storageKey, JSON.stringify(data));
    } catch (e) {
      // Quota or disabled storage: the conversation simply won't survive a reload.
    }
  }

  /* ---------------------------------------------------------------- languages and labels */

  // The labels of every language, from beside the script: the panel must not depend on the WebSocket.
  // A conversation restored from this tab already has them (from a welcome frame or this file).
  function loadLabels() {
    if (state.languages.length || typeof window.fetch !== 'function') {
      ready('labels');
      return;
    }
    const gaveUp = window.setTimeout(function () { ready('labels'); }, LABELS_WAIT_MS);
    window.fetch(config.labels, { credentials: 'omit' }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    }).then(function (data) {
      // The server's own welcome is newer than any copy: only fill what is still empty.
      if (!state.languages.length && data && Array.isArray(data.languages)) {
        state.languages = cleanLanguages(data.languages);
        if (!languageInfo(state.lang) && state.languages.length) state.lang = state.languages[0].code;
        renderAll();
      }
    }).catch(function () {
      // No file beside the script: the labels come with the first welcome frame, as before.
    }).then(function () {
      window.clearTimeout(gaveUp);
      ready('labels');
    });
  }

  function cleanLanguages(list) {
    return list.filter(function (l) { return l && typeof l.code === 'string'; }).map(function (l) {
      const info = { code: l.code, name: l.name, dir: l.dir, welcome: l.welcome, labels: l.labels || {} };
      if (Array.isArray(l.suggestions)) info.suggestions = cleanSuggestions(l.suggestions);
      return info;
    });
  }

  function languageInfo(code) {
    for (let i = 0; i < state.languages.length; i++) {
      if (state.languages[i].code === code) return state.languages[i];
    }
    return null;
  }

  // A label of the widget's language, as displayed; {name} placeholders are replaced from values.
  function label(key, values) {
    const info = languageInfo(state.lang) || state.languages[0];
    let value = info && info.labels && info.labels[key];
    if (typeof value !== 'string') return '';
    if (values) {
      value = value.replace(/\{(\w+)\}/g, function (all, name) {
        return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
      });
    }
    return display(value, info.code);
  }

  // Typography of the language a text is shown in. French puts a space before ? ! : ; and inside
  // « »: a narrow no-break one, so that the sign never starts a line of its own.
  function display(text, lang) {
    if (lang !== 'fr' || typeof text !== 'string') return text;
    return text.replace(/[ \u00A0](?=[?!:;»])/g, '\u202F').replace(/«[ \u00A0]/g, '«\u202F');
  }

  function formatNumber(n) {
    try {
      return new Intl.NumberFormat(state.lang, { numberingSystem: 'latn' }).format(n);
    } catch (e) {
      return String(n);
    }
  }

  function dirOf(code) {
    const info = languageInfo(code);
    return info && info.dir === 'rtl' ? 'rtl' : 'ltr';
  }

  // Switches the whole widget (labels, lang, direction) to another language.
  function setLanguage(code) {
    if (!languageInfo(code) || code === state.lang) return;
    state.lang = code;
    refreshGreeting();
    renderAll();
    save();
  }

  // A conversation that is still only the greeting reads better in the newly chosen language, with
  // the starting topics of that language (the welcome frame gives them for every language). Without
  // them (an older server), the old language's buttons are hidden rather than shown under the new text.
  function refreshGreeting() {
    if (state.messages.length !== 1 || state.messages[0].kind !== 'welcome') return;
    const greeting = state.messages[0];
    const info = languageInfo(state.lang);
    if (info && typeof info.welcome === 'string' && info.welcome) {
      greeting.text = info.welcome;
      greeting.lang = state.lang;
    }
    if (info && Array.isArray(info.suggestions) && info.suggestions.length) {
      greeting.suggestions = info.suggestions.slice();
      greeting.suggestionsLang = state.lang;
    }
  }

  /* ---------------------------------------------------------------- DOM construction */

  function el(tag, className, attrs) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        node.setAttribute(name, attrs[name]);
      });
    }
    return node;
  }

  function icon(pathData) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', 'pw-icon');
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', pathData);
    svg.appendChild(path);
    return svg;
  }

  function build() {
    const host = document.createElement('passerelle-chat');
    const shadow = host.attachShadow({ mode: 'open' });

    const sheet = el('link', '', { rel: 'stylesheet', href: config.css });
    const root = el('div', 'pw-root', { 'data-position': config.position });
    // Hidden until the stylesheet and the labels are in (see ready), so the page never flashes an
    // unstyled or unnamed widget.
    root.hidden = true;
    sheet.addEventListener('load', function () { ready('css'); });
    sheet.addEventListener('error', function () { ready('css'); });

    const launcher = el('button', 'pw-launcher', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'pw-panel' });
    launcher.appendChild(icon('M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z'));
    const launcherText = el('span', 'pw-sr-only');
    launcher.appendChild(launcherText);
    const badge = el('span', 'pw-badge', { 'aria-hidden': 'true' });
    badge.hidden = true;
    launcher.appendChild(badge);
    launcher.addEventListener('pointerdown', function (event) { lastPointer = event.pointerType || ''; });

    const panel = el('section', 'pw-panel', { id: 'pw-panel', role: 'dialog', 'aria-labelledby': 'pw-title' });
    panel.hidden = true;

    // A div, not <header>: inside the widget a header would read as a second banner of the page.
    const header = el('div', 'pw-header');
    const titleBox = el('div', 'pw-title-box');
    // tabindex -1: opened by touch, the panel puts focus here, where reading starts (see openPanel).
    const title = el('h2', 'pw-title', { id: 'pw-title', tabindex: '-1' });
    const status = el('p', 'pw-status', { role: 'status' });
    titleBox.appendChild(title);
    titleBox.appendChild(status);

    const langBox = el('div', 'pw-lang-box');
    const langLabel = el('label', 'pw-lang-label', { for: 'pw-lang' });
    const langSelect = el('select', 'pw-lang', { id: 'pw-lang' });
    langBox.appendChild(langLabel);
    langBox.appendChild(langSelect);

    const closeBtn = el('button', 'pw-close', { type: 'button' });
    closeBtn.appendChild(icon('M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z'));
    const closeText = el('span', 'pw-sr-only');
    closeBtn.appendChild(closeText);

    // DOM order is the visual order (title and close on the first row, language below),
    // so Tab follows what the eye sees.
    header.appendChild(titleBox);
    header.appendChild(closeBtn);
    header.appendChild(langBox);

    // Focusable so keyboard users can scroll back through a long conversation.
    const log = el('div', 'pw-log', { tabindex: '0', role: 'region', 'aria-labelledby': 'pw-title' });
    const list = el('ol', 'pw-messages');
    const typing = el('div', 'pw-typing');
    typing.hidden = true;
    const dots = el('span', 'pw-dots', { 'aria-hidden': 'true' });
    dots.appendChild(el('span'));
    dots.appendChild(el('span'));
    dots.appendChild(el('span'));
    const typingText = el('span', 'pw-sr-only');
    typing.appendChild(dots);
    typing.appendChild(typingText);
    // Said while the server cannot be reached (the status above says "offline" in a word).
    const notice = el('p', 'pw-notice');
    notice.hidden = true;
    log.appendChild(list);
    log.appendChild(typing);
    log.appendChild(notice);

    // A text area that grows with the question (up to a few lines, see fitInput), so that a long one
    // can be read back and shortened; Enter sends, Shift+Enter starts a new line.
    const form = el('form', 'pw-form');
    const inputLabel = el('label', 'pw-sr-only', { for: 'pw-input' });
    const row = el('div', 'pw-field-row');
    const input = el('textarea', 'pw-input', { id: 'pw-input', rows: '1', autocomplete: 'off', enterkeyhint: 'send', dir: 'auto' });
    const send = el('button', 'pw-send', { type: 'submit' });
    row.appendChild(input);
    row.appendChild(send);
    // No maxlength: a pasted text that is too long stays whole in the field, to be shortened there.
    const counter = el('p', 'pw-counter', { id: 'pw-counter' });
    counter.hidden = true;
    const fieldError = el('p', 'pw-field-error', { id: 'pw-field-error', role: 'alert' });
    fieldError.hidden = true;
    form.appendChild(inputLabel);
    form.appendChild(row);
    form.appendChild(fieldError);
    form.appendChild(counter);
    const contactOpen = buildContactOpen();
    form.appendChild(contactOpen.button);
    const contact = buildContactForm();

    panel.appendChild(header);
    panel.appendChild(log);
    panel.appendChild(contact.form);
    panel.appendChild(form);

    // Outside the panel, so new answers are announced even while the panel is closed.
    const live = el('div', 'pw-sr-only', { 'aria-live': 'polite', 'aria-atomic': 'true' });

    root.appendChild(panel);
    root.appendChild(launcher);
    root.appendChild(live);
    shadow.appendChild(sheet);
    shadow.appendChild(root);

    ui = {
      host: host, root: root, launcher: launcher, launcherText: launcherText, badge: badge, panel: panel,
      title: title, status: status, langLabel: langLabel, langSelect: langSelect, closeBtn: closeBtn,
      closeText: closeText, log: log, list: list, typing: typing, typingText: typingText, notice: notice,
      form: form, inputLabel: inputLabel, input: input, send: send, counter: counter, fieldError: fieldError,
      live: live, contactOpen: contactOpen.button, contactOpenText: contactOpen.text, contact: contact
    };

    launcher.addEventListener('click', openPanel);
    closeBtn.addEventListener('click', closePanel);
    panel.addEventListener('keydown', onPanelKeydown);
    langSelect.addEventListener('change', function () { setLanguage(langSelect.value); });
    form.addEventListener('submit', onSubmit);
    input.addEventListener('keydown', onInputKeydown);
    input.addEventListener('input', onInput);
    log.addEventListener('scroll', function () { pinned = isAtEnd(); }, { passive: true });
    window.addEventListener('online', reconnectNow);
    watchViewport();

    (document.body || document.documentElement).appendChild(host);
  }

  /* ---------------------------------------------------------------- rendering */

  // Applies language, direction, labels and connection state; rebuilds the message list.
  // The conversation is small, so a full rebuild keeps the code simple and always consistent.
  function renderAll() {
    const dir = dirOf(state.lang);
    [ui.host, ui.root].forEach(function (node) {
      node.setAttribute('lang', state.lang);
      node.setAttribute('dir', dir);
    });
    renderLabels();
    renderLanguageOptions();
    renderConnection();
    renderMessages();
    renderField();
    renderContact();
    renderPanel();
  }

  function renderLabels() {
    const known = state.languages.length > 0;
    ui.launcherText.textContent = (known && label('open_chat')) || NEUTRAL.open_chat;
    ui.closeText.textContent = (known && label('close_chat')) || NEUTRAL.close_chat;
    ui.closeBtn.title = label('close_chat');
    ui.launcher.title = label('open_chat');
    ui.title.textContent = label('title');
    ui.langLabel.textContent = label('language_label');
    ui.inputLabel.textContent = label('input_label');
    ui.input.placeholder = label('placeholder');
    ui.send.textContent = (known && label('send')) || NEUTRAL.send;
    ui.typingText.textContent = label('typing');
  }

  function renderLanguageOptions() {
    const select = ui.langSelect;
    while (select.firstChild) select.removeChild(select.firstChild);
    state.languages.forEach(function (info) {
      const option = el('option', '', { value: info.code, lang: info.code, dir: info.dir === 'rtl' ? 'rtl' : 'ltr' });
      option.textContent = info.name || info.code;
      select.appendChild(option);
    });
    select.value = state.lang;
    select.parentNode.hidden = state.languages.length === 0;
  }

  function renderConnection() {
    ui.root.setAttribute('data-conn', online ? 'online' : 'offline');
    const known = state.languages.length > 0;
    ui.status.textContent = known ? label(online ? 'online' : 'offline') : (online ? NEUTRAL.online : NEUTRAL.offline);
    // Only once an attempt has failed: the first connection of every page load is offline for a moment.
    ui.notice.textContent = label('unavailable');
    ui.notice.hidden = online || !unreachable || !ui.notice.textContent;
    if (pinned) revealLatest();
  }

  function renderPanel() {
    ui.panel.hidden = !state.open;
    ui.launcher.hidden = state.open;
    ui.launcher.setAttribute('aria-expanded', state.open ? 'true' : 'false');
    ui.root.setAttribute('data-open', state.open ? 'true' : 'false');
  }

  function renderMessages() {
    const list = ui.list;
    while (list.firstChild) list.removeChild(list.firstChild);
    // Before the first welcome frame (the server cannot be reached), the greeting of the labels file
    // stands in for it; it is not part of the conversation.
    const info = languageInfo(state.lang);
    if (!botSpoke() && info && typeof info.welcome === 'string' && info.welcome) {
      list.appendChild(renderMessage({ from: 'bot', kind: 'welcome', text: info.welcome, lang: info.code }, false));
    }
    let lastBot = -1;
    state.messages.forEach(function (m, i) { if (m.from === 'bot' && m.kind !== 'error') lastBot = i; });
    state.messages.forEach(function (m, i) {
      // Only the newest answer offers suggestions: older ones would answer questions already moved past.
      // An error is no answer: the suggestions before it stay.
      list.appendChild(renderMessage(m, i === lastBot));
    });
    ui.typing.hidden = !state.messages.some(function (m) { return m.status === 'sent'; });
    revealLatest();
  }

  // The length of the question against the server's limit: a counter near the limit, and once past it
  // the field is marked invalid (the message under it says so when sending is tried).
  function renderField() {
    const count = questionLength();
    const over = count > state.maxText;
    ui.counter.textContent = label('counter', { count: formatNumber(count), max: formatNumber(state.maxText) });
    ui.counter.hidden = !ui.counter.textContent || count < Math.floor(state.maxText * COUNTER_FROM);
    ui.counter.classList.toggle('pw-counter--over', over);
    if (!over && ui.fieldError.getAttribute('data-reason') === 'too_long') showFieldError('');
    if (over && !ui.fieldError.hidden) showFieldError(label('too_long', { max: formatNumber(state.maxText) }), 'too_long');
    if (over) ui.input.setAttribute('aria-invalid', 'true');
    else ui.input.removeAttribute('aria-invalid');
    const described = [];
    if (!ui.fieldError.hidden) described.push(ui.fieldError.id);
    if (!ui.counter.hidden) described.push(ui.counter.id);
    if (described.length) ui.input.setAttribute('aria-describedby', described.join(' '));
    else ui.input.removeAttribute('aria-describedby');
    fitInput();
  }

  function showFieldError(text, reason) {
    ui.fieldError.textContent = text;
    ui.fieldError.hidden = !text;
    if (text) ui.fieldError.setAttribute('data-reason', reason || '');
    else ui.fieldError.removeAttribute('data-reason');
  }

  // Characters as the server counts them (code points) of what would be sent.
  function questionLength() {
    return Array.from(ui.input.value.trim()).length;
  }

  // The field grows with its text up to its CSS max-height, then scrolls.
  function fitInput() {
    const input = ui.input;
    input.style.height = '';
    if (input.scrollHeight > input.clientHeight + 1) {
      const border = input.offsetHeight - input.clientHeight;
      input.style.height = (input.scrollHeight + border) + 'px';
    }
  }

  function renderMessage(m, withSuggestions) {
    const item = el('li', 'pw-msg pw-msg--' + m.from + (m.kind === 'error' ? ' pw-msg--error' : ''));
    const bubble = el('div', 'pw-bubble');
    const who = el('span', 'pw-sr-only');
    who.textContent = (m.from === 'user' ? label('you') : label('bot')) + ': ';
    bubble.appendChild(who);
    // The text is a block of its own (see .pw-text) carrying the message's language and direction,
    // so a French answer stays left-aligned inside the Arabic widget, and the reverse, while the
    // bubble itself keeps the widget's direction for its placement and shape.
    const body = el('span', 'pw-text');
    let inline = [];
    if (m.from === 'bot') {
      if (m.lang) {
        body.setAttribute('lang', m.lang);
        body.setAttribute('dir', dirOf(m.lang));
      }
      inline = appendLinkified(body, display(m.text, m.lang), cleanLinks(m.links));
    } else {
      // A person may type in any script whatever the selected language: let the browser pick direction.
      // Sent as typed; shown with the typography of the language it was asked in.
      body.setAttribute('dir', 'auto');
      body.textContent = display(m.text, m.lang);
    }
    bubble.appendChild(body);
    if (m.from === 'bot') appendLinkList(bubble, cleanLinks(m.links), m.lang, inline);
    item.appendChild(bubble);

    if (m.from === 'user' && m.status === 'queued') {
      item.classList.add('pw-msg--unsent');
      const note = el('p', 'pw-unsent');
      note.textContent = label('unsent');
      item.appendChild(note);
    }
    // A greeting swapped to another language (refreshGreeting) without the starting topics of the new
    // one would sit above buttons in the old one.
    const stale = m.kind === 'welcome' && m.suggestionsLang && m.suggestionsLang !== state.lang;
    if (m.from === 'bot' && m.kind === 'answer' && m.intent && label('useful') && label('not_useful')) {
      item.appendChild(renderFeedback(m));
    }
    if (m.from === 'bot' && withSuggestions && m.suggestions && m.suggestions.length && !stale) {
      item.appendChild(renderSuggestions(m.suggestions, m.suggestionsLang || m.lang));
    }
    if (m.from === 'bot' && m.fallback && withSuggestions && state.contactOffer && label('contact_offer')) {
      item.appendChild(renderContactOffer(m));
    }
    if (m.from === 'user' && m.kind === 'contact') {
      const note = el('p', 'pw-contact-note');
      note.textContent = label('contact_sent');
      item.appendChild(note);
    }
    return item;
  }

  // Under each answer that gives an intent's text: was it useful? Two real buttons; one vote per answer,
  // kept with the conversation. The vote goes to the server as a feedback frame and is counted by intent
  // and language only: nothing the resident typed goes with it.
  function renderFeedback(m) {
    feedbackSeq += 1;
    const box = el('div', 'pw-feedback', { role: 'group', 'aria-labelledby': 'pw-feedback-' + feedbackSeq });
    const question = el('span', 'pw-feedback-question', { id: 'pw-feedback-' + feedbackSeq });
    question.textContent = label('feedback_question');
    box.appendChild(question);
    const voted = typeof m.vote === 'boolean';
    const status = el('span', 'pw-feedback-status', { role: 'status' });
    [true, false].forEach(function (useful) {
      const button = el('button', 'pw-vote', { type: 'button', 'data-useful': useful ? 'yes' : 'no' });
      button.textContent = label(useful ? 'useful' : 'not_useful');
      button.setAttribute('aria-pressed', voted && m.vote === useful ? 'true' : 'false');
      if (voted) button.setAttribute('aria-disabled', 'true');
      button.addEventListener('click', function () { vote(m, useful, box, status); });
      box.appendChild(button);
    });
    if (voted) status.textContent = label('feedback_thanks');
    box.appendChild(status);
    return box;
  }

  // The buttons stay where they are (aria-disabled, not disabled: focus stays on the one pressed), and
  // the status under them says thank you, read out by screen readers.
  function vote(m, useful, box, status) {
    if (typeof m.vote === 'boolean') return;
    m.vote = useful;
    m.voteStatus = 'queued';
    transmitVote(m);
    Array.prototype.forEach.call(box.querySelectorAll('.pw-vote'), function (button) {
      button.setAttribute('aria-pressed', button.getAttribute('data-useful') === (useful ? 'yes' : 'no') ? 'true' : 'false');
      button.setAttribute('aria-disabled', 'true');
    });
    status.textContent = label('feedback_thanks');
    save();
  }

  // Sent at most once: a vote whose connection closed before its reply is not sent again, so that
  // none is counted twice.
  function transmitVote(m) {
    if (!socket || socket.readyState !== 1) return false;
    state.seq += 1;
    const frame = { type: 'feedback', intent: m.intent, useful: m.vote, lang: m.lang, id: 'v' + state.seq };
    try {
      socket.send(JSON.stringify(frame));
    } catch (e) {
      return false;
    }
    m.voteId = frame.id;
    m.voteStatus = 'sent';
    return true;
  }

  // The server's reply to a vote, an acknowledgement or an error (the intent left the knowledge, too
  // many messages): either way the vote is done. Returns whether the frame was one.
  function onVoteReply(frame) {
    const m = state.messages.find(function (x) { return x.voteId !== undefined && x.voteId === frame.id; });
    if (!m) return false;
    m.voteStatus = 'done';
    save();
    return true;
  }

  function renderSuggestions(suggestions, lang) {
    const group = el('div', 'pw-suggestions', { role: 'group' });
    group.setAttribute('aria-label', label('suggestions_label'));
    if (lang) {
      // The buttons read in the answer's language, which may not be the widget's any more.
      group.setAttribute('lang', lang);
      group.setAttribute('dir', dirOf(lang));
    }
    suggestions.forEach(function (s) {
      if (!s || typeof s.intent !== 'string') return;
      const button = el('button', 'pw-suggestion', { type: 'button' });
      button.textContent = display(typeof s.label === 'string' && s.label ? s.label : s.intent, lang);
      let pointer = '';
      button.addEventListener('pointerdown', function (event) { pointer = event.pointerType || ''; });
      button.addEventListener('click', function () {
        ask({ intent: s.intent, text: button.textContent });
        // The button is about to be replaced by the answer's own suggestions: keep focus somewhere
        // useful, the field, except on touch, where focusing it would open the on-screen keyboard over
        // the answer: there the conversation takes it.
        if (pointer === 'touch' || pointer === 'pen') ui.log.focus({ preventScroll: true });
        else ui.input.focus();
      });
      group.appendChild(button);
    });
    return group;
  }

  // Turns http(s) URLs in server text into real links, everything else into text nodes. A link reads
  // as its label from the answer's structured links when it has one, else as a short host + path: a raw
  // address breaks over many lines on a phone and says little. Returns the addresses it made links of.
  function appendLinkified(parent, text, links) {
    const made = [];
    const pattern = /https?:\/\/[^\s<>"'«»]+/gi;
    let last = 0;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      // Sentence punctuation right after a URL belongs to the sentence, not to the URL.
      const url = match[0].replace(/[.,;:!?'")\]}]+$/, '');
      const start = match.index;
      const href = safeHttpUrl(url);
      if (!href) continue;
      if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
      // dir ltr: an address reads left to right, also inside Arabic text (the element isolates it).
      const a = el('a', 'pw-link', { href: href, target: '_blank', rel: 'noopener noreferrer', dir: 'ltr' });
      const named = linkLabel(href, links);
      if (named) {
        a.textContent = named;
        a.setAttribute('dir', 'auto');
      } else {
        a.textContent = shortLink(href);
      }
      a.title = href;
      parent.appendChild(a);
      made.push(href);
      last = start + url.length;
      pattern.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
    return made;
  }

  function linkLabel(href, links) {
    if (!Array.isArray(links)) return '';
    for (let i = 0; i < links.length; i++) {
      if (links[i].kind === 'url' && safeHttpUrl(links[i].href) === href) return links[i].label;
    }
    return '';
  }

  const LINK_ICONS = {
    url: 'M14 3h7v7h-2V6.4l-9.3 9.3-1.4-1.4L17.6 5H14V3zM5 5h6v2H5v12h12v-6h2v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z',
    email: 'M4 5h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2zm0 2v.5l8 5 8-5V7H4zm16 2.9-8 5-8-5V17h16V9.9z',
    phone: 'M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25c1.1.37 2.33.57 3.6.57a1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z'
  };

  // Where the answer leads, under its text: web pages (a new tab), an e-mail address (the mail program),
  // a phone number (a phone dials it), each a real link with an icon, a whole line tall enough for a
  // finger. A page the text already names, shown there with its label, is not repeated.
  function appendLinkList(bubble, links, lang, inline) {
    const rest = (links || []).filter(function (l) { return !(l.kind === 'url' && inline.indexOf(safeHttpUrl(l.href)) >= 0); });
    if (!rest.length) return;
    const list = el('ul', 'pw-links', { role: 'list' });
    if (lang) {
      list.setAttribute('lang', lang);
      list.setAttribute('dir', dirOf(lang));
    }
    rest.forEach(function (l) {
      const a = el('a', 'pw-links-item pw-links-item--' + l.kind, { href: l.href });
      if (l.kind === 'url') {
        a.setAttribute('target', '_blank');
        a.setAttribute('rel', 'noopener noreferrer');
        a.title = l.href;
      }
      a.appendChild(icon(LINK_ICONS[l.kind]));
      const text = el('span', 'pw-links-text');
      // An address or a number reads left to right, also inside Arabic; a page's label is text.
      text.setAttribute('dir', l.kind === 'url' ? 'auto' : 'ltr');
      if (l.kind === 'email') {
        // A long address that must wrap on a phone wraps after its @, not inside a word.
        const at = l.label.indexOf('@') + 1;
        text.appendChild(document.createTextNode(l.label.slice(0, at)));
        text.appendChild(document.createElement('wbr'));
        text.appendChild(document.createTextNode(l.label.slice(at)));
      } else {
        text.textContent = l.kind === 'url' ? display(l.label, lang) : l.label;
      }
      a.appendChild(text);
      const li = el('li', 'pw-links-entry');
      li.appendChild(a);
      list.appendChild(li);
    });
    bubble.appendChild(list);
  }

  // https://www.ville.example/a/b/c/page?x=1 -> ville.example/…/page
  function shortLink(href) {
    const u = new URL(href);
    const host = u.hostname.replace(/^www\./, '');
    let path = u.pathname;
    try {
      path = decodeURIComponent(path);
    } catch (e) {
      // not UTF-8 percent-encoding: keep it as it is
    }
    const parts = path.split('/').filter(Boolean);
    let text = host + (parts.length ? '/' + parts.join('/') : '');
    if (text.length > LINK_LABEL_MAX && parts.length > 1) text = host + '/\u2026/' + parts[parts.length - 1];
    if (text.length > LINK_LABEL_MAX) text = text.slice(0, LINK_LABEL_MAX - 1) + '\u2026';
    return text;
  }

  // The answer's links as the server sends them ({kind, href, label}), only those that are what their
  // kind says: an http(s) page, a mailto: address, a tel: number in international form.
  function cleanLinks(list) {
    if (!Array.isArray(list)) return undefined;
    const links = list.filter(function (l) {
      if (!l || typeof l.href !== 'string' || typeof l.label !== 'string' || !l.label) return false;
      if (l.kind === 'url') return !!safeHttpUrl(l.href);
      if (l.kind === 'email') return /^mailto:[^\s@:/?#]+@[^\s@:/?#]+$/.test(l.href);
      if (l.kind === 'phone') return /^tel:\+[0-9]{6,15}$/.test(l.href);
      return false;
    }).map(function (l) { return { kind: l.kind, href: l.href, label: l.label }; });
    return links.length ? links : undefined;
  }

  function safeHttpUrl(candidate) {
    try {
      const u = new URL(candidate);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '';
    } catch (e) {
      return '';
    }
  }

  // Where the conversation shows its latest message: the end, or, when that message is taller than the
  // view (a long answer on a phone with its keyboard open), the message's start, where reading begins.
  function latestTarget() {
    const log = ui.log;
    const end = log.scrollHeight - log.clientHeight;
    const item = ui.list.lastElementChild;
    if (!item || !ui.typing.hidden) return end;
    const top = item.getBoundingClientRect().top - log.getBoundingClientRect().top + log.scrollTop;
    return Math.max(0, Math.min(end, Math.floor(top) - 8));
  }

  function revealLatest() {
    ui.log.scrollTop = latestTarget();
    pinned = true;
  }

  // Still showing the latest message as revealLatest left it (or the very end)?
  function isAtEnd() {
    const log = ui.log;
    return Math.abs(log.scrollTop - latestTarget()) <= 2 || log.scrollTop >= log.scrollHeight - log.clientHeight - 2;
  }

  // The panel changes size: a phone's on-screen keyboard opens or closes, the window is resized, the
  // field grows. What the resident was reading stays in view; the latest message above all.
  function watchViewport() {
    if (typeof window.ResizeObserver === 'function') {
      new window.ResizeObserver(function () {
        if (pinned) revealLatest();
      }).observe(ui.log);
    }
    const vv = window.visualViewport;
    if (!vv) return;
    vv.addEventListener('resize', fitViewport);
    vv.addEventListener('scroll', fitViewport);
    window.addEventListener('resize', fitViewport);
  }

  // On a small screen the panel covers the window. When the on-screen keyboard opens, most phone
  // browsers shrink only the visual viewport (the part that is seen) and pan it to the field: the panel
  // then follows the visual viewport, so that its header, the latest answer and the field all stay
  // seen. Not while pinch-zoomed: then the resident chose what to see.
  function fitViewport() {
    const vv = window.visualViewport;
    const fit = vv && state.open && isSmallScreen() && Math.abs(vv.scale - 1) < 0.01 &&
      vv.height < window.innerHeight - 1;
    if (fit) {
      ui.root.style.setProperty('--pw-vv-top', Math.max(0, vv.offsetTop) + 'px');
      ui.root.style.setProperty('--pw-vv-height', vv.height + 'px');
    } else {
      ui.root.style.removeProperty('--pw-vv-top');
      ui.root.style.removeProperty('--pw-vv-height');
    }
  }

  function isSmallScreen() {
    return !!(window.matchMedia && window.matchMedia(SMALL_SCREEN).matches);
  }

  // Shows the widget once its stylesheet and its labels are in (each reported once).
  function ready(what) {
    waiting[what] = false;
    if (waiting.css || waiting.labels || !ui.root.hidden) return;
    ui.root.hidden = false;
    revealLatest(); // a restored conversation was laid out while hidden, with nothing to scroll
  }

  function announce(text) {
    // Emptying first makes screen readers announce a message even when it repeats the previous one.
    ui.live.textContent = '';
    window.setTimeout(function () {
      ui.live.textContent = label('new_message') + ': ' + text;
    }, 50);
  }

  /* ---------------------------------------------------------------- panel and keyboard */

  // Focus goes to the field, ready to type, except when the panel was opened by touch: there a focused
  // field opens the on-screen keyboard over the greeting before anything was read. The title takes it
  // instead (the start of the dialog, for screen readers too).
  function openPanel(event) {
    state.open = true;
    ui.badge.hidden = true;
    renderPanel();
    fitViewport();
    fitInput();
    revealLatest();
    const byTouch = (lastPointer === 'touch' || lastPointer === 'pen') && !(event && event.detail === 0);
    lastPointer = '';
    if (byTouch) ui.title.focus({ preventScroll: true });
    else ui.input.focus();
    save();
  }

  function closePanel() {
    state.open = false;
    renderPanel();
    ui.launcher.focus();
    save();
  }

  function onPanelKeydown(event) {
    if (event.key === 'Escape') {
      event.preventDefault();
      if (state.contactView) closeContact();
      else closePanel();
      return;
    }
    if (event.key === 'Tab' && isFullScreen()) trapFocus(event);
  }

  // When the panel covers the whole screen, the page behind it is invisible: keep Tab inside the panel.
  function isFullScreen() {
    const rect = ui.panel.getBoundingClientRect();
    return isSmallScreen() || (rect.width >= window.innerWidth - 1 && rect.height >= window.innerHeight - 1);
  }

  function trapFocus(event) {
    const focusable = Array.prototype.filter.call(
      ui.panel.querySelectorAll('button, select, textarea, [tabindex="0"], a[href]'),
      function (node) { return !node.disabled && node.getClientRects().length > 0; }
    );
    if (!focusable.length) return;
    const first = focusable[0];
    const lastNode = focusable[focusable.length - 1];
    const active = ui.root.getRootNode().activeElement;
    if (event.shiftKey && active === first) {
      event.preventDefault();
      lastNode.focus();
    } else if (!event.shiftKey && active === lastNode) {
      event.preventDefault();
      first.focus();
    }
  }

  // A question longer than the server accepts stays in the field, with a message saying so: nothing is
  // sent, nothing of what the resident wrote is lost.
  function onSubmit(event) {
    event.preventDefault();
    const text = ui.input.value.trim();
    if (!text) return;
    if (questionLength() > state.maxText) {
      showFieldError(label('too_long', { max: formatNumber(state.maxText) }), 'too_long');
      renderField();
      ui.input.focus();
      return;
    }
    ui.input.value = '';
    showFieldError('');
    renderField();
    ask({ text: text });
  }

  // Enter sends, as in a one-line field; Shift+Enter is a new line; an input method composing a word
  // (Chinese, Japanese, Korean…) keeps its Enter.
  function onInputKeydown(event) {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    if (typeof ui.form.requestSubmit === 'function') ui.form.requestSubmit();
    else onSubmit(event);
  }

  function onInput() {
    if (ui.fieldError.getAttribute('data-reason') === 'server') showFieldError('');
    renderField();
  }

  /* ---------------------------------------------------------------- conversation */

  function ask(question) {
    state.seq += 1;
    const message = {
      from: 'user',
      text: question.text,
      lang: state.lang,
      id: 'c' + state.seq,
      status: 'queued'
    };
    if (question.intent) message.intent = question.intent;
    state.messages.push(message);
    transmit(message);
    renderMessages();
    save();
  }

  // Puts one queued message on the wire if the socket is open; otherwise it stays queued.
  function transmit(message) {
    if (!socket || socket.readyState !== 1) return false;
    const frame = { type: 'ask', lang: message.lang, id: message.id };
    if (message.intent) frame.intent = message.intent;
    else frame.text = message.text;
    // Opaque to the widget: the server reads it only on a connection's first question.
    if (state.context) frame.context = state.context;
    try {
      socket.send(JSON.stringify(frame));
    } catch (e) {
      return false;
    }
    message.status = 'sent';
    return true;
  }

  function flushQueue() {
    let changed = false;
    state.messages.forEach(function (m) {
      if (m.from === 'user' && m.status === 'queued') {
        // The language chosen now is the better hint: the person may have switched while offline.
        m.lang = state.lang;
        changed = transmit(m) || changed;
      }
      if (m.from === 'bot' && m.voteStatus === 'queued') changed = transmitVote(m) || changed;
    });
    if (state.contact && state.contact.status === 'queued' && transmitContact()) renderContact();
    if (changed) {
      renderMessages();
      save();
    }
  }

  // Marks the question an answer or error belongs to as done; without a known id, the oldest pending one.
  function settle(id) {
    const pending = state.messages.filter(function (m) { return m.from === 'user' && m.status === 'sent'; });
    let target = null;
    for (let i = 0; i < pending.length; i++) {
      if (pending[i].id === id) target = pending[i];
    }
    if (!target && pending.length) target = pending[0];
    if (target) target.status = 'done';
  }

  // An answer to something the resident asked is news: announced, and marked unread while the panel is
  // closed. The greeting is not (quiet): it is there to be read when the resident opens the panel.
  function addBotMessage(message, quiet) {
    state.messages.push(message);
    if (state.messages.length > MAX_STORED_MESSAGES) state.messages.splice(0, state.messages.length - MAX_STORED_MESSAGES);
    if (quiet) return;
    if (!state.open) ui.badge.hidden = false;
    announce(message.text);
  }

  function botSpoke() {
    return state.messages.some(function (m) { return m.from === 'bot'; });
  }

  function greetingOf(frame) {
    const lang = typeof frame.lang === 'string' ? frame.lang : state.lang;
    return {
      from: 'bot',
      kind: 'welcome',
      text: frame.text,
      lang: lang,
      suggestions: cleanSuggestions(frame.suggestions),
      suggestionsLang: lang
    };
  }

  function cleanSuggestions(list) {
    if (!Array.isArray(list)) return [];
    return list.filter(function (s) { return s && typeof s.intent === 'string'; }).map(function (s) {
      return { intent: s.intent, label: typeof s.label === 'string' ? s.label : s.intent };
    });
  }

  function onWelcome(frame) {
    if (Array.isArray(frame.languages) && frame.languages.length) {
      state.languages = cleanLanguages(frame.languages);
    }
    // The server's limit on a question (an older server does not say: its default applies).
    if (typeof frame.max_text === 'number' && frame.max_text >= 1 && frame.max_text % 1 === 0) {
      state.maxText = frame.max_text;
    }
    // Whether the server takes messages to staff, and what the consent line says it keeps.
    state.contactOffer = cleanOffer(frame.contact);
    if (!state.contactOffer) state.contactView = false;
    if (!languageInfo(state.lang)) {
      state.lang = languageInfo(frame.lang) ? frame.lang : (state.languages[0] ? state.languages[0].code : state.lang);
    }
    const untouched = state.messages.every(function (m) { return m.kind === 'welcome'; });
    if (untouched && typeof frame.text === 'string') {
      // First visit, or nothing said yet: (re)place the greeting with the server's current one. The
      // greeting is never announced nor marked unread: the resident has not asked anything yet.
      state.messages = [];
      addBotMessage(greetingOf(frame), true);
      refreshGreeting();
    } else if (typeof frame.text === 'string' && !botSpoke()) {
      // Questions typed while the server could not be reached, before any greeting: it comes first.
      state.messages.unshift(greetingOf(frame));
    }
    renderAll();
    save();
  }

  function onAnswer(frame) {
    settle(frame.id);
    if (typeof frame.context === 'string') state.context = frame.context;
    // The server leaves the resident's language only for a question clearly written in
    // another of its languages: then the resident is writing in that one, follow it.
    if (typeof frame.lang === 'string' && frame.lang !== state.lang && languageInfo(frame.lang)) {
      state.lang = frame.lang;
    }
    addBotMessage({
      from: 'bot',
      kind: 'answer',
      text: typeof frame.text === 'string' ? frame.text : '',
      lang: typeof frame.lang === 'string' ? frame.lang : state.lang,
      intent: typeof frame.intent === 'string' ? frame.intent : null,
      fallback: frame.kind === 'fallback', // the bot could not answer: offer to write to a person
      links: cleanLinks(frame.links), // [{kind, href, label}]: where the answer leads
      suggestions: cleanSuggestions(frame.suggestions),
      suggestionsLang: typeof frame.lang === 'string' ? frame.lang : state.lang
    });
    renderAll();
    save();
  }

  function onError(frame) {
    if (onVoteReply(frame)) return; // a vote is not worth an error in the conversation
    if (onContactError(frame)) return;
    settle(frame.id);
    if (frame.code === 'text_too_long' && restoreRefused(frame)) return;
    addBotMessage({
      from: 'bot',
      kind: 'error',
      text: typeof frame.message === 'string' ? frame.message : String(frame.code || ''),
      lang: typeof frame.lang === 'string' ? frame.lang : state.lang
    });
    renderMessages();
    save();
  }

  // The server found a question too long (its limit is lower than the widget knew): the question goes
  // back to the field, whole, with the server's message under it, instead of into the conversation.
  function restoreRefused(frame) {
    let index = -1;
    state.messages.forEach(function (m, i) { if (m.from === 'user' && m.id === frame.id && !m.intent) index = i; });
    // A new question is already being typed: the refused one stays in the conversation, with the error.
    if (index < 0 || ui.input.value.trim()) return false;
    ui.input.value = state.messages.splice(index, 1)[0].text;
    const lang = typeof frame.lang === 'string' ? frame.lang : state.lang;
    showFieldError(display(typeof frame.message === 'string' ? frame.message : label('too_long', { max: formatNumber(state.maxText) }), lang), 'server');
    renderMessages();
    renderField();
    save();
    return true;
  }

  function onFrame(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (e) {
      return; // not ours to display
    }
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'welcome') {
      startPinging(frame.idle_timeout_s);
      onWelcome(frame);
    }
    else if (frame.type === 'answer') onAnswer(frame);
    else if (frame.type === 'error') onError(frame);
    else if (frame.type === 'feedback') onVoteReply(frame);
    else if (frame.type === 'contact_ack') onContactAck(frame);
    // Unknown frame types are ignored so that the server can grow the protocol.
  }

  /* ---------------------------------------------------------------- messages to staff */

  // When the bot cannot help, a person can: a short form sends the resident's message to the city's
  // international-action service ({"type":"contact"}, docs/protocol.md). Offered only by a server that
  // takes such messages (its welcome's "contact"), under every fallback answer and always below the
  // field. The message gets a key once, when first sent, and keeps it: re-sent after a reconnection or a
  // reload, it is the same message, which the server keeps and delivers once.
  function buildContactOpen() {
    const button = el('button', 'pw-contact-open', { type: 'button' });
    button.appendChild(icon(MAIL_ICON));
    const text = el('span');
    button.appendChild(text);
    button.hidden = true;
    button.addEventListener('click', function () { openContact('', button); });
    return { button: button, text: text };
  }

  function buildContactForm() {
    const c = {};
    c.form = el('form', 'pw-contact', { 'aria-labelledby': 'pw-contact-title', novalidate: '' });
    c.form.hidden = true;
    // Focusable so that the form can be read from its title when it opens by touch.
    c.title = el('h3', 'pw-contact-title', { id: 'pw-contact-title', tabindex: '-1' });
    c.textLabel = el('label', 'pw-contact-label', { for: 'pw-contact-text' });
    c.text = el('textarea', 'pw-contact-text', { id: 'pw-contact-text', rows: '5', dir: 'auto', 'aria-required': 'true' });
    c.replyLabel = el('label', 'pw-contact-label', { for: 'pw-contact-reply' });
    // An address or a number: read left to right whatever the widget's language (dir auto).
    c.reply = el('input', 'pw-contact-reply', { id: 'pw-contact-reply', type: 'text', dir: 'auto', autocomplete: 'email', spellcheck: 'false' });
    c.consent = el('p', 'pw-contact-consent', { id: 'pw-contact-consent' });
    c.error = el('p', 'pw-contact-error', { id: 'pw-contact-error', role: 'alert' });
    c.error.hidden = true;
    const actions = el('div', 'pw-contact-actions');
    c.send = el('button', 'pw-contact-send', { type: 'submit' });
    c.cancel = el('button', 'pw-contact-cancel', { type: 'button' });
    actions.appendChild(c.send);
    actions.appendChild(c.cancel);
    [c.title, c.textLabel, c.text, c.replyLabel, c.reply, c.consent, c.error, actions].forEach(function (node) {
      c.form.appendChild(node);
    });
    c.text.setAttribute('aria-describedby', 'pw-contact-consent');
    c.form.addEventListener('submit', onContactSubmit);
    c.cancel.addEventListener('click', closeContact);
    c.text.addEventListener('input', function () { editContact('text', c.text.value); });
    c.reply.addEventListener('input', function () { editContact('replyTo', c.reply.value); });
    return c;
  }

  function cleanOffer(offer) {
    if (!offer || typeof offer !== 'object' || !(offer.retention_days >= 1)) return null;
    return {
      retention_days: offer.retention_days | 0,
      conversation_entries: offer.conversation_entries >= 0 ? offer.conversation_entries | 0 : CONTACT_ENTRIES_DEFAULT,
      conversation_chars: offer.conversation_chars >= 1 ? offer.conversation_chars | 0 : CONTACT_CHARS_DEFAULT
    };
  }

  function sending() {
    return !!state.contact && (state.contact.status === 'queued' || state.contact.status === 'sent');
  }

  // The form replaces the conversation and the question field while it is open (a phone has no room for
  // both); the header, with the language, stays.
  function renderContact() {
    const c = ui.contact;
    const offered = !!state.contactOffer && !!label('contact_open');
    if (!offered) state.contactView = false;
    ui.contactOpenText.textContent = label('contact_open');
    ui.contactOpen.hidden = !offered;
    c.form.hidden = !state.contactView;
    ui.log.hidden = state.contactView;
    ui.form.hidden = state.contactView;
    if (!offered) return;
    c.title.textContent = label('contact_title');
    c.textLabel.textContent = label('contact_message');
    c.replyLabel.textContent = label('contact_reply_to');
    c.consent.textContent = label('contact_consent', { days: formatNumber(state.contactOffer.retention_days) });
    c.send.textContent = sending() ? label('contact_sending') : label('contact_send');
    c.send.setAttribute('aria-disabled', sending() ? 'true' : 'false');
    c.cancel.textContent = label('contact_cancel');
    if (state.contact) {
      if (c.text.value !== state.contact.text) c.text.value = state.contact.text;
      if (c.reply.value !== (state.contact.replyTo || '')) c.reply.value = state.contact.replyTo || '';
    }
  }

  // Under the newest answer the bot could not give: say so, and offer the form.
  function renderContactOffer(m) {
    const box = el('div', 'pw-contact-offer');
    const text = el('p', 'pw-contact-offer-text');
    text.textContent = label('contact_offer');
    const button = el('button', 'pw-contact-offer-button', { type: 'button' });
    button.appendChild(icon(MAIL_ICON));
    const span = el('span');
    span.textContent = label('contact_open');
    button.appendChild(span);
    button.addEventListener('click', function () { openContact(questionBefore(m), button); });
    box.appendChild(text);
    box.appendChild(button);
    return box;
  }

  // The question the bot could not answer: a good start for the message, which the resident edits.
  function questionBefore(answer) {
    const i = state.messages.indexOf(answer);
    for (let k = i - 1; k >= 0; k--) {
      const m = state.messages[k];
      if (m.from === 'user') return m.intent ? '' : m.text;
    }
    return '';
  }

  function openContact(prefill, opener) {
    contactOpener = opener || null;
    if (!state.contact) state.contact = { status: 'draft', text: prefill || '', replyTo: '' };
    state.contactView = true;
    showContactError('');
    renderContact();
    // By touch, the title: the keyboard would otherwise cover the consent line before it is read.
    if (lastPointer === 'touch' || lastPointer === 'pen') ui.contact.title.focus({ preventScroll: true });
    else ui.contact.text.focus();
    save();
  }

  // Cancel: a message not on its way is dropped; one already sent cannot be called back, and its
  // acknowledgement will come into the conversation.
  function closeContact() {
    if (state.contact && !sending()) state.contact = null;
    state.contactView = false;
    showContactError('');
    renderContact();
    revealLatest();
    const back = contactOpener && contactOpener.isConnected && !contactOpener.hidden ? contactOpener : ui.input;
    back.focus();
    save();
  }

  function editContact(field, value) {
    if (!state.contact || sending()) return;
    state.contact[field] = value;
    if (field === 'replyTo') ui.contact.reply.removeAttribute('aria-invalid');
    save();
  }

  function showContactError(text, field) {
    const c = ui.contact;
    c.error.textContent = text;
    c.error.hidden = !text;
    c.text.removeAttribute('aria-invalid');
    c.reply.removeAttribute('aria-invalid');
    if (field) field.setAttribute('aria-invalid', 'true');
    if (text && field) field.focus();
  }

  function onContactSubmit(event) {
    event.preventDefault();
    if (!state.contact || sending()) return;
    const c = ui.contact;
    const text = c.text.value.trim();
    if (!text) {
      showContactError(label('contact_empty'), c.text);
      return;
    }
    if (Array.from(text).length > state.maxText) {
      showContactError(label('too_long', { max: formatNumber(state.maxText) }), c.text);
      return;
    }
    showContactError('');
    state.seq += 1;
    const msg = state.contact;
    msg.text = text;
    msg.replyTo = c.reply.value.trim();
    msg.key = msg.key || newKey();
    msg.id = 'm' + state.seq;
    msg.lang = state.lang;
    msg.conversation = conversationForStaff();
    msg.status = 'queued';
    transmitContact();
    renderContact();
    save();
  }

  function contactFrame(msg) {
    const frame = { type: 'contact', text: msg.text, lang: msg.lang, key: msg.key, id: msg.id };
    if (msg.replyTo) frame.reply_to = msg.replyTo;
    if (msg.conversation && msg.conversation.length) frame.conversation = msg.conversation.slice();
    // Within the smallest frame any server accepts (6 bytes a character of max-text, and 1 KiB): the
    // oldest lines go first.
    const budget = 6 * state.maxText + 1024;
    while (frame.conversation && utf8Length(JSON.stringify(frame)) > budget) {
      frame.conversation.shift();
      if (!frame.conversation.length) delete frame.conversation;
    }
    return frame;
  }

  function transmitContact() {
    const msg = state.contact;
    if (!msg || msg.status !== 'queued' || !socket || socket.readyState !== 1) return false;
    try {
      socket.send(JSON.stringify(contactFrame(msg)));
    } catch (e) {
      return false;
    }
    msg.status = 'sent';
    return true;
  }

  // What the resident saw, for staff: questions and answers, newest last, each cut to the server's limit.
  function conversationForStaff() {
    const offer = state.contactOffer || cleanOffer({ retention_days: 1 });
    const lines = [];
    state.messages.forEach(function (m) {
      if (m.kind === 'welcome' || m.kind === 'error' || m.kind === 'contact' || m.kind === 'contact_ack') return;
      if (typeof m.text !== 'string' || !m.text) return;
      lines.push({ from: m.from === 'user' ? 'resident' : 'bot', text: cutChars(m.text, offer.conversation_chars) });
    });
    return offer.conversation_entries > 0 ? lines.slice(-offer.conversation_entries) : [];
  }

  function onContactAck(frame) {
    const msg = state.contact;
    if (!msg || frame.key !== msg.key) return; // an acknowledgement already shown
    state.contact = null;
    const wasOpen = state.contactView;
    state.contactView = false;
    state.messages.push({ from: 'user', kind: 'contact', text: msg.text, lang: msg.lang, id: msg.id, status: 'done' });
    addBotMessage({
      from: 'bot',
      kind: 'contact_ack',
      text: typeof frame.text === 'string' ? frame.text : '',
      lang: typeof frame.lang === 'string' ? frame.lang : state.lang
    });
    renderAll();
    if (wasOpen) ui.input.focus({ preventScroll: true });
    save();
  }

  // A message to staff refused (its contact is not an e-mail nor a phone, the service cannot take it
  // now...): said in the form, whose content stays, to correct or send later. Returns whether the error
  // was about it.
  function onContactError(frame) {
    const msg = state.contact;
    if (!msg || !msg.id || frame.id !== msg.id) return false;
    msg.status = 'draft';
    const text = display(typeof frame.message === 'string' ? frame.message : String(frame.code || ''), frame.lang);
    if (!state.contactOffer) {
      // The server no longer takes messages (it restarted without): say so in the conversation.
      state.contact = null;
      addBotMessage({ from: 'bot', kind: 'error', text: text, lang: typeof frame.lang === 'string' ? frame.lang : state.lang });
      renderAll();
      save();
      return true;
    }
    if (!state.contactView) {
      state.contactView = true; // the resident closed it while it was on its way: reopen it to say why
    }
    renderContact();
    showContactError(text, frame.code === 'bad_reply_to' ? ui.contact.reply : ui.contact.text);
    save();
    return true;
  }

  function newKey() {
    const c = window.crypto;
    if (c && typeof c.randomUUID === 'function') return c.randomUUID();
    const b = new Uint8Array(16); // outside a secure context (plain http): the same, by hand
    c.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
  }

  function utf8Length(text) {
    return new TextEncoder().encode(text).length;
  }

  function cutChars(text, max) {
    const chars = Array.from(text);
    return chars.length <= max ? text : chars.slice(0, Math.max(0, max - 1)).join('') + '\u2026';
  }

  /* ---------------------------------------------------------------- keep-alive */

  // The server closes a connection that sent nothing for idle_timeout_s (its welcome says how long).
  // While connected, the widget sends {"type":"ping"} three times within that time, so that an open
  // page keeps its conversation; the server answers {"type":"pong"} (ignored here) and does not count
  // pings as questions. A browser may slow the timer of a hidden tab to once a minute: the server's
  // default of 120 s leaves room for that.
  const PINGS_PER_IDLE_TIMEOUT = 3;
  const PING_MIN_INTERVAL_MS = 1000;
  let pingTimer = 0;

  function startPinging(idleTimeoutS) {
    stopPinging();
    if (typeof idleTimeoutS !== 'number' || !(idleTimeoutS > 0)) return;
    const every = Math.max(PING_MIN_INTERVAL_MS, (idleTimeoutS * 1000) / PINGS_PER_IDLE_TIMEOUT);
    pingTimer = window.setInterval(function () {
      if (socket && socket.readyState === 1) socket.send('{"type":"ping"}');
    }, every);
  }

  function stopPinging() {
    window.clearInterval(pingTimer);
    pingTimer = 0;
  }

  /* ---------------------------------------------------------------- connection */

  function socketUrl() {
    const u = new URL(config.server, window.location.href);
    u.searchParams.set('lang', state.lang);
    return u.href;
  }

  function connect() {
    window.clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    let opened = false;
    ws.addEventListener('open', function () {
      if (socket !== ws) return;
      opened = true;
      attempt = 0;
      online = true;
      unreachable = false;
      renderConnection();
      flushQueue();
    });
    ws.addEventListener('message', function (event) {
      if (socket === ws) onFrame(event);
    });
    ws.addEventListener('close', function () {
      if (socket !== ws) return;
      stopPinging();
      socket = null;
      online = false;
      // A connection that closes after opening (a restart, an idle timeout) is not yet "unavailable":
      // the next attempt tells.
      if (!opened) unreachable = true;
      // Answers to questions in flight died with the connection: send them again once back.
      state.messages.forEach(function (m) {
        if (m.from === 'user' && m.status === 'sent') m.status = 'queued';
      });
      // A message to staff whose acknowledgement did not come goes again, with its key: the server
      // keeps one copy whatever the number of sends.
      if (state.contact && state.contact.status === 'sent') state.contact.status = 'queued';
      renderConnection();
      renderMessages();
      save();
      scheduleReconnect();
    });
    // 'error' is always followed by 'close', which does the work.
  }

  // Exponential backoff capped at ~10 s, with jitter so that a restarted server is not hit by every
  // client in the same instant.
  function scheduleReconnect() {
    if (reconnectTimer) return;
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, attempt));
    const delay = ceiling / 2 + Math.random() * ceiling / 2;
    attempt += 1;
    reconnectTimer = window.setTimeout(connect, delay);
  }

  // The browser says the network is back: no reason to wait for the backoff timer.
  function reconnectNow() {
    if (socket) return;
    attempt = 0;
    connect();
  }
})();
