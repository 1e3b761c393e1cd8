/** The admin console's page bundle (/admin): not part of the widget. */
import '../admin/roomcast-admin.js';
