// /demo's one script of its own: the link to the staff inbox shows only when the server runs with
// DEMO=1, which is when GET /api/demo/staff-token answers (asked with HEAD, so no token is sent).
const link = document.getElementById('staff-demo');
fetch('/api/demo/staff-token', { method: 'HEAD', cache: 'no-store' })
  .then((res) => {
    if (res.ok && link) link.hidden = false;
  })
  .catch(() => undefined);
