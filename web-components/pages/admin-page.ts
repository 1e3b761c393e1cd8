/** The admin console's page bundle (/admin): not part of the widget. Its language: `?lang=`, else the browser's. */
import { msg } from '@lit/localize';
import '../admin/roomcast-admin.js';
import { localizePage } from './page-language.js';

localizePage(() => {
  document.title = msg('roomcast admin', { id: 'admin-title' });
});
