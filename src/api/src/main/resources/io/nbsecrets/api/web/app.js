'use strict';
// The secrets page: list, add, replace and delete your secrets through the secrets API of this
// origin. No framework, no inline script (the page's Content-Security-Policy forbids both), no
// storage: the token lives in this variable only, and a value leaves the page once it is saved.
(() => {
  const MAX_NAME = 128;
  let token = null;
  let maxValueBytes = 131072;
  const $ = (id) => document.getElementById(id);

  // The API's own rule and words (io.nbsecrets.model.SecretNames), checked before sending.
  function nameProblem(name) {
    if (!name) return 'name must not be empty';
    if (name.length > MAX_NAME) return 'name is longer than ' + MAX_NAME + ' characters';
    if (!/^[A-Za-z0-9._-]+$/.test(name)) return "name may contain only letters, digits, '.', '_' and '-'";
    if (name === '.' || name.startsWith('..')) {
      return "name must not be '.' or '..', nor begin with '..' (Kubernetes refuses such Secret keys)";
    }
    return null;
  }

  function show(id, visible) { $(id).hidden = !visible; }

  function say(text) { $('status').textContent = text; }

  function fail(text) {
    $('error').textContent = text;
    show('error', Boolean(text));
  }

  function fieldError(field, text) {
    const error = $(field + '-error');
    error.textContent = text || '';
    error.hidden = !text;
    if (text) {
      $(field).setAttribute('aria-invalid', 'true');
    } else {
      $(field).removeAttribute('aria-invalid');
    }
  }

  async function call(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (token) headers['Authorization'] = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin', cache: 'no-store',
      });
    } catch (e) {
      // No answer at all (offline, the API restarting): say so, rather than do nothing.
      return { status: 0, json: { message: 'the API could not be reached; check your connection and try again' } };
    }
    let json = null;
    if (response.status !== 204) {
      try { json = await response.json(); } catch (e) { json = null; }
    }
    return { status: response.status, json };
  }

  function message(answer) {
    return (answer.json && answer.json.message) || ('the API answered ' + answer.status);
  }

  function seconds(instant) {
    return instant.replace(/\.\d+Z$/, 'Z');
  }

  // The sessions holding the current version; the API leaves the field out when it cannot tell.
  function sessions(usedBy) {
    if (!Array.isArray(usedBy)) return 'not known';
    if (usedBy.length === 0) return 'none';
    return usedBy.map((s) => s.namespace + '/' + s.name).join(', ');
  }

  function render(items) {
    const rows = $('rows');
    rows.replaceChildren();
    for (const item of items) {
      const tr = document.createElement('tr');
      const cells = [item.name, String(item.version), seconds(item.updatedAt),
        item.lastUsedAt ? seconds(item.lastUsedAt) : 'never', sessions(item.usedBy)];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      const td = document.createElement('td');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.textContent = 'Delete';
      button.setAttribute('aria-label', 'Delete ' + item.name);
      button.addEventListener('click', () => remove(item.name, item.usedBy));
      td.append(button);
      tr.append(td);
      rows.append(tr);
    }
    show('list', items.length > 0);
    show('empty', items.length === 0);
  }

  async function refresh() {
    const answer = await call('GET', '/api/v1/secrets');
    if (answer.status === 200) {
      render(answer.json.items);
      fail('');
      return true;
    }
    if (answer.status === 401 || answer.status === 403) {
      signedOut(token ? 'Your token was refused: ' + message(answer) : '');
      return false;
    }
    fail(message(answer));
    return false;
  }

  function signedIn() {
    show('signin', false);
    show('secrets', true);
    fail('');
    $('name').focus();
  }

  function signedOut(why) {
    token = null;
    $('token').value = '';
    // Nothing of this user is left for whoever signs in next on this page.
    $('name').value = '';
    $('value').value = '';
    $('file').value = '';
    render([]);
    show('secrets', false);
    show('signin', true);
    fail(why);
  }

  async function signIn(event) {
    event.preventDefault();
    const typed = $('token').value.trim();
    $('token').value = '';
    if (!typed) {
      fail('Paste your token first.');
      return;
    }
    token = typed;
    if (await refresh()) {
      say('Signed in.');
      signedIn();
    }
  }

  function base64(bytes) {
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  async function store(event) {
    event.preventDefault();
    fail('');
    const name = $('name').value.trim();
    const problem = nameProblem(name);
    fieldError('name', problem);
    if (problem) {
      $('name').focus();
      return;
    }
    const file = $('file').files[0];
    let body;
    let size;
    if (file) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      size = bytes.length;
      body = { value: base64(bytes), encoding: 'base64' };
    } else {
      const text = $('value').value;
      size = new TextEncoder().encode(text).length;
      body = { value: text };
    }
    let valueProblem = null;
    if (size === 0) valueProblem = 'value must not be empty';
    else if (size > maxValueBytes) valueProblem = 'value is ' + size + ' bytes; the limit is ' + maxValueBytes + ' bytes';
    fieldError('value', valueProblem);
    if (valueProblem) {
      $('value').focus();
      return;
    }
    const answer = await call('PUT', '/api/v1/secrets/' + encodeURIComponent(name), body);
    body = null;
    if (answer.status === 200 || answer.status === 201) {
      // Write-only: the value leaves the page.
      $('value').value = '';
      $('file').value = '';
      $('name').value = '';
      say((answer.status === 201 ? 'Created ' : 'Replaced ') + name + ' (version ' + answer.json.version + ').');
      await refresh();
      $('name').focus();
    } else if (answer.status === 401 || answer.status === 403) {
      signedOut('Your token was refused: ' + message(answer));
    } else {
      fail(message(answer));
    }
  }

  async function remove(name, usedBy) {
    const inUse = Array.isArray(usedBy) && usedBy.length > 0
      ? ' It is in use by ' + sessions(usedBy) + '.'
      : '';
    if (!window.confirm('Delete ' + name + '?' + inUse + ' Sessions that mount it keep their copy until they restart.')) {
      return;
    }
    const answer = await call('DELETE', '/api/v1/secrets/' + encodeURIComponent(name));
    if (answer.status === 204 || answer.status === 404) {
      say('Deleted ' + name + '.');
      await refresh();
    } else {
      fail(message(answer));
    }
  }

  async function start() {
    $('signin-form').addEventListener('submit', signIn);
    $('store-form').addEventListener('submit', store);
    $('refresh').addEventListener('click', refresh);
    $('signout').addEventListener('click', () => { signedOut(''); say('Signed out.'); });
    const limits = await call('GET', '/api/v1/limits');
    if (limits.status === 200) maxValueBytes = limits.json.maxValueBytes;
    // Behind an authenticating proxy the request carries the user's token already.
    if (await refresh()) {
      say('Signed in through your sign-in proxy.');
      show('signout', false);
      signedIn();
    } else {
      fail('');
      $('token').focus();
    }
  }

  document.addEventListener('DOMContentLoaded', start);
})();
